"""Degradation speed: rrlib against its anchors, interleaved in one run, printed as images/s and ratios.

(a) the full Real-ESRGAN x4plus second-order pipeline (USM-sharpened GT, both orders, final sinc, JPEG), batch 16,
    against Real-ESRGAN as its repository runs it: kernels drawn per image in numpy (the code of
    `realesrgan/data/realesrgan_dataset.py`, calling BasicSR's kernel functions) and the rest batched in torch by the
    repository's own `RealESRGANModel.feed_data` (called on a stub model object; its training-pair queue, a memory
    pool and not a degradation, is skipped).
(b) a first-order pipeline (random kernel, blur, random resize, Gaussian/Poisson noise, JPEG) against BasicSR's
    per-image numpy/OpenCV functions.

Anchor dependencies (NOT rrlib dependencies; install them only to run this file):

    pip install --no-deps basicsr==1.4.2 realesrgan==0.3.0     # plus addict, yapf if missing

BasicSR 1.4.2 imports `torchvision.transforms.functional_tensor`, which current torchvision removed; the shim below
provides it (it lives here, never in rrlib), and BasicSR's global `np.seterr` change is undone after import (the
anchors run under `np.errstate` instead). On torch 2.14, DiffJPEG's output must be made contiguous before BasicSR's
`filter2D` views it, and OpenCV 5 wants an integer JPEG quality.

    python benchmarks/degradation_speed.py            # sizes 256 512, batch 16, 5 interleaved rounds
    python benchmarks/degradation_speed.py --threads 1 --rounds 3
"""
from __future__ import annotations
import argparse, math, os, random, statistics, sys, time, types
# On a shared CPU, OpenMP's default spin-waiting makes every multi-threaded torch op wait out other processes' time
# slices (measured here: rrlib's first order fell from 53 to 4.6 images/s). Passive waiting is set before torch loads;
# the anchors and rrlib run in this one process under the same setting.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import numpy as np
import torch


def import_anchors():
    "BasicSR / Real-ESRGAN with the shims they need on current torchvision."
    import torchvision.transforms.functional as TF
    shim = types.ModuleType('torchvision.transforms.functional_tensor'); shim.rgb_to_grayscale = TF.rgb_to_grayscale
    sys.modules.setdefault('torchvision.transforms.functional_tensor', shim)
    err = np.geterr()
    try:
        from basicsr.data import degradations as bd
        from basicsr.utils import DiffJPEG, USMSharp
        from realesrgan.models.realesrgan_model import RealESRGANModel
    except ImportError as e:
        sys.exit(f"anchor packages missing ({e}); install them with: pip install --no-deps basicsr==1.4.2 realesrgan==0.3.0")
    np.seterr(**err)
    return bd, DiffJPEG, USMSharp, RealESRGANModel


# ---- Real-ESRGAN's settings (options/train_realesrgan_x4plus.yml) ------------------------------------------------
OPT = dict(scale=4, resize_prob=[0.2, 0.7, 0.1], resize_range=[0.15, 1.5], gaussian_noise_prob=0.5, noise_range=[1, 30],
           poisson_scale_range=[0.05, 3], gray_noise_prob=0.4, jpeg_range=[30, 95], second_blur_prob=0.8,
           resize_prob2=[0.3, 0.4, 0.3], resize_range2=[0.3, 1.2], gaussian_noise_prob2=0.5, noise_range2=[1, 25],
           poisson_scale_range2=[0.05, 2.5], gray_noise_prob2=0.4, jpeg_range2=[30, 95], queue_size=160)
KOPT = dict(kernel_list=['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso'],
            kernel_prob=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob=0.1, blur_sigma=[0.2, 3], betag_range=[0.5, 4],
            betap_range=[1, 2], sinc_prob2=0.1, blur_sigma2=[0.2, 1.5], final_sinc_prob=0.8)
KERNEL_RANGE = [2 * v + 1 for v in range(3, 11)]


def dataset_kernels(bd):
    "The kernel part of RealESRGANDataset.__getitem__ (per image, numpy), calling BasicSR's functions the same way."
    def one(sigma, sinc_prob):
        size = random.choice(KERNEL_RANGE)
        if np.random.uniform() < sinc_prob:
            k = bd.circular_lowpass_kernel(np.random.uniform(np.pi / 3, np.pi) if size < 13 else np.random.uniform(np.pi / 5, np.pi), size, pad_to=False)
        else:
            k = bd.random_mixed_kernels(KOPT['kernel_list'], KOPT['kernel_prob'], size, sigma, sigma, [-math.pi, math.pi],
                                        KOPT['betag_range'], KOPT['betap_range'], noise_range=None)
        p = (21 - size) // 2
        return torch.FloatTensor(np.pad(k, ((p, p), (p, p))))
    k1, k2 = one(KOPT['blur_sigma'], KOPT['sinc_prob']), one(KOPT['blur_sigma2'], KOPT['sinc_prob2'])
    if np.random.uniform() < KOPT['final_sinc_prob']:
        sinc = torch.FloatTensor(bd.circular_lowpass_kernel(np.random.uniform(np.pi / 3, np.pi), random.choice(KERNEL_RANGE), pad_to=21))
    else:
        sinc = torch.zeros(21, 21); sinc[10, 10] = 1
    return k1, k2, sinc


def realesrgan_runner(bd, DiffJPEG, USMSharp, RealESRGANModel, size):
    "A callable degrading a (B, 3, size, size) batch the way Real-ESRGAN's training does."
    jpeger = DiffJPEG(differentiable=False)
    # torch 2.14 shim: DiffJPEG returns a non-contiguous tensor that BasicSR's filter2D then `.view`s; make it contiguous
    stub = types.SimpleNamespace(opt={**OPT, 'gt_size': size}, is_train=True, device=torch.device('cpu'),
                                 jpeger=lambda x, quality: jpeger(x, quality=quality).contiguous(), usm_sharpener=USMSharp())
    stub._dequeue_and_enqueue = lambda: None  # the training-pair pool (a memory queue, .cuda() only) is not a degradation
    def run(gt):
        with np.errstate(divide='ignore', invalid='ignore'): ks = [dataset_kernels(bd) for _ in range(len(gt))]
        data = {'gt': gt, 'kernel1': torch.stack([k[0] for k in ks]), 'kernel2': torch.stack([k[1] for k in ks]),
                'sinc_kernel': torch.stack([k[2] for k in ks])}
        with torch.no_grad(): RealESRGANModel.feed_data(stub, data)
        return stub.lq
    return run


def basicsr_first_order(bd, img):
    "BasicSR's per-image numpy/OpenCV first order on an (H, W, 3) float32 BGR image."
    import cv2
    size = random.choice(KERNEL_RANGE)
    if np.random.uniform() < KOPT['sinc_prob']:
        k = bd.circular_lowpass_kernel(np.random.uniform(np.pi / 3, np.pi) if size < 13 else np.random.uniform(np.pi / 5, np.pi), size)
    else:
        k = bd.random_mixed_kernels(KOPT['kernel_list'], KOPT['kernel_prob'], size, KOPT['blur_sigma'], KOPT['blur_sigma'],
                                    [-math.pi, math.pi], KOPT['betag_range'], KOPT['betap_range'], noise_range=None)
    out = cv2.filter2D(img, -1, k)
    updown = random.choices(['up', 'down', 'keep'], OPT['resize_prob'])[0]
    s = np.random.uniform(1, OPT['resize_range'][1]) if updown == 'up' else np.random.uniform(OPT['resize_range'][0], 1) if updown == 'down' else 1
    h, w = out.shape[:2]
    out = cv2.resize(out, (int(w * s), int(h * s)), interpolation=random.choice([cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC]))
    if np.random.uniform() < OPT['gaussian_noise_prob']:
        out = bd.random_add_gaussian_noise(out, OPT['noise_range'], gray_prob=OPT['gray_noise_prob'])
    else:
        out = bd.random_add_poisson_noise(out, OPT['poisson_scale_range'], gray_prob=OPT['gray_noise_prob'])
    q = int(np.random.uniform(*OPT['jpeg_range']))  # OpenCV 5 wants an int quality (BasicSR passes a numpy float)
    return bd.add_jpg_compression(out.astype(np.float32), q)


def photos(n, size):
    "n natural (B, 3, size, size) crops from scikit-image's photos."
    from skimage import data
    srcs = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.immunohistochemistry(), data.hubble_deep_field()]
    out, rng = [], np.random.default_rng(0)
    for i in range(n):
        a = srcs[i % len(srcs)]
        t = torch.from_numpy(a.copy()).permute(2, 0, 1)[None].float() / 255
        s = size / min(a.shape[:2]) * rng.uniform(1.0, 1.3)
        t = torch.nn.functional.interpolate(t, scale_factor=s, mode='bilinear', antialias=True, align_corners=False)
        y, x = rng.integers(0, t.shape[-2] - size + 1), rng.integers(0, t.shape[-1] - size + 1)
        out.append(t[..., y:y + size, x:x + size])
    return torch.cat(out).clamp(0, 1).contiguous()


def timed(fn, *a):
    t = time.perf_counter(); fn(*a); return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sizes', type=int, nargs='+', default=[256, 512])
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--rounds', type=int, default=5, help='interleaved timing rounds (median reported)')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    ap.add_argument('--skip', nargs='*', default=[], choices=['a', 'b'])
    args = ap.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    bd, DiffJPEG, USMSharp, RealESRGANModel = import_anchors()
    from rrlib.degradations import degrade
    from rrlib.degradations.realesrgan import HighOrderConfig, Order, HighOrder
    from rrlib.degradations.records import sample_plans, apply_plans, image_seeds
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}; "
          f"batch {args.batch}; {args.rounds} interleaved rounds, median; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    first = HighOrder(HighOrderConfig(orders=[Order()], final=None, scale=1, quantize=False, end_at_target=False))
    results = []
    for size in args.sizes:
        x = photos(args.batch, size)
        if 'a' not in args.skip:
            anchor = realesrgan_runner(bd, DiffJPEG, USMSharp, RealESRGANModel, size)
            anchor(x); degrade(x, 'realesrgan-x4plus', generator=0)  # warm-up
            ta, tr = [], []
            for r in range(args.rounds):
                ta.append(timed(anchor, x)); tr.append(timed(degrade, x, 'realesrgan-x4plus', r))
            results.append((f'(a) Real-ESRGAN x4plus full, {size}²', args.batch / statistics.median(ta), args.batch / statistics.median(tr), 3.0))
        if 'b' not in args.skip:
            imgs = [np.ascontiguousarray(im.permute(1, 2, 0).numpy()[..., ::-1]) for im in x]
            def run_b():
                with np.errstate(divide='ignore', invalid='ignore'): return [basicsr_first_order(bd, im) for im in imgs]
            run_r = lambda r: apply_plans(x, sample_plans(first, (size, size), image_seeds(r, len(x))))
            run_b(); run_r(0)
            tb, tr = [], []
            for r in range(args.rounds):
                tb.append(timed(run_b)); tr.append(timed(run_r, r))
            results.append((f'(b) first order vs BasicSR per image, {size}²', args.batch / statistics.median(tb), args.batch / statistics.median(tr), 1.5))
        for name, anchor_ips, rr_ips, goal in results[-2:] if 'a' not in args.skip and 'b' not in args.skip else results[-1:]:
            print(f"{name:<46} anchor {anchor_ips:8.1f} img/s   rrlib {rr_ips:8.1f} img/s   ratio {rr_ips / anchor_ips:5.2f}x  (goal >= {goal}x: {'met' if rr_ips / anchor_ips >= goal else 'MISSED'})", flush=True)
    return results


if __name__ == '__main__':
    main()
