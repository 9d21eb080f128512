"Shared pieces of the tests/test_degrade_*.py files."
import pytest
import torch


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "Tests share 2 cores with parallel workers: one torch thread is far faster there; restored afterwards."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
