#!/usr/bin/python3
"""Builds test/fixtures/images/: small re-encoded photographs and the PIL / torchvision / OpenCV
reference outputs that the image and transform tests compare against.

Run once with Debian's Python (python3-pil, python3-skimage, python3-torch, python3-torchvision,
python3-opencv):

    /usr/bin/python3 scripts/make-image-fixtures.py

The output is deterministic for a given set of library versions; the versions used are written to
manifest.json. Pixel arrays (uint8, HWC, RGB) are stored as `*.rgb.gz`: gzip of the bytes after a
PNG-style "Sub" filter over the flattened array with a stride of one pixel (stored[i] = a[i] - a[i-3]
mod 256, the first pixel as is), which compresses photographs about a quarter better. Float
references are gzip-compressed little-endian float32. Small cases are base64 inside JSON files.
"""
import base64
import gzip
import io
import json
import os
import sys

import numpy as np
from PIL import Image, ImageOps

SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'images')


def photo(name):
    return Image.open(os.path.join(SKIMAGE, name))


def write_gz(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        # mtime=0 keeps the bytes reproducible
        with gzip.GzipFile(fileobj=f, mode='wb', compresslevel=9, mtime=0) as g:
            g.write(data)
    return rel


def write_pixels(rel, array):
    a = np.ascontiguousarray(array, dtype=np.uint8).reshape(-1)
    d = a.copy()
    d[3:] = a[3:] - a[:-3]  # uint8 arithmetic wraps mod 256
    return write_gz(rel, d.tobytes())


def read_pixels(rel, shape):
    with gzip.open(os.path.join(OUT, rel)) as f:
        d = np.frombuffer(f.read(), dtype=np.uint8).copy()
    for i in range(3, d.size, 3):
        d[i:i + 3] += d[i - 3:i]
    return d.reshape(shape)


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode('ascii')


def save_json(rel, obj):
    text = json.dumps(obj, indent=1, sort_keys=True) + '\n'
    if rel.endswith('.gz'):
        write_gz(rel, text.encode('utf-8'))
    else:
        with open(os.path.join(OUT, rel), 'w') as f:
            f.write(text)


def bicubic(im, w, h):
    return im.resize((w, h), Image.BICUBIC)


# ---------------------------------------------------------------------------------------------
# 1. Source images in several formats and sizes, their PIL decodes, and PIL test-transform refs.
# ---------------------------------------------------------------------------------------------
def make_sources():
    astronaut = photo('astronaut.png').convert('RGB')
    coffee = photo('coffee.png').convert('RGB')
    chelsea = photo('chelsea.png').convert('RGB')
    motorcycle = photo('motorcycle_left.png').convert('RGB')
    rocket = photo('rocket.jpg').convert('RGB')
    camera = photo('camera.png')  # mode L

    sources = []

    def add(name, image, save, sizes, note):
        path = os.path.join(OUT, 'src', name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        save(image, path)
        sources.append({'file': 'src/' + name, 'sizes': sizes, 'note': note})

    add('astronaut-300x300.jpg', bicubic(astronaut.crop((50, 0, 470, 420)), 300, 300),
        lambda im, p: im.save(p, quality=92), [96, 224, 384], 'JPEG 4:2:0 baseline; shrinks to 96/224, enlarges to 384')
    add('coffee-240x160.png', bicubic(coffee, 240, 160),
        lambda im, p: im.save(p), [96, 224], 'PNG RGB; shrinks to 96, mixed (shrink width, enlarge height) at 224')
    add('chelsea-150x100-lossless.webp', bicubic(chelsea, 150, 100),
        lambda im, p: im.save(p, lossless=True, quality=100, method=6), [96, 224], 'WebP lossless')
    add('motorcycle-280x189.webp', bicubic(motorcycle, 280, 189),
        lambda im, p: im.save(p, quality=80, method=4), [96, 224], 'WebP lossy')
    add('rocket-200x133.gif', bicubic(rocket, 200, 133).quantize(256, method=Image.MEDIANCUT),
        lambda im, p: im.save(p), [96, 224], 'GIF, 256-colour palette, no transparency')
    add('camera-120x120-grey.png', bicubic(camera, 120, 120),
        lambda im, p: im.save(p), [224], 'PNG greyscale (L) -> replicated to RGB')
    add('camera-64x48-grey.jpg', bicubic(camera.crop((180, 60, 372, 204)), 64, 48),
        lambda im, p: im.save(p, quality=90), [224], 'greyscale JPEG, 3.5-4.7x enlargement')
    rgba = bicubic(coffee.crop((100, 50, 500, 317)), 96, 64).convert('RGBA')
    alpha = np.tile(np.linspace(0, 255, 96).astype(np.uint8), (64, 1))
    rgba.putalpha(Image.fromarray(alpha, 'L'))
    add('coffee-96x64-rgba.png', rgba, lambda im, p: im.save(p), [224], 'PNG RGBA: alpha dropped, no compositing')
    add('chelsea-256x170-444-progressive.jpg', bicubic(chelsea, 256, 170),
        lambda im, p: im.save(p, quality=95, subsampling=0, progressive=True), [224], 'JPEG 4:4:4 progressive')
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": PIL's Image.open ignores it, so must we
    add('astronaut-160x120-exif6.jpg', bicubic(astronaut, 160, 120),
        lambda im, p: im.save(p, quality=90, exif=exif), [224], 'JPEG with EXIF orientation 6 (must not be rotated)')
    pal = bicubic(motorcycle, 120, 81).quantize(64)
    add('motorcycle-120x81-palette.png', pal,
        lambda im, p: im.save(p, transparency=5), [224], 'PNG palette with a transparent index (dropped)')
    la = bicubic(camera, 72, 72).convert('LA')
    la.putalpha(Image.fromarray(np.tile(np.linspace(255, 0, 72).astype(np.uint8), (72, 1)), 'L'))
    add('camera-72x72-la.png', la, lambda im, p: im.save(p), [96], 'PNG greyscale + alpha (LA)')
    add('chelsea-90x60-bilevel.png', bicubic(chelsea, 90, 60).convert('1'),
        lambda im, p: im.save(p), [96], 'PNG 1-bit (dithered): 0/255 replicated')

    def save_rgb16(im, p):
        import cv2
        a = np.asarray(im).astype(np.uint16) * 257
        a += np.random.RandomState(5).randint(0, 256, a.shape).astype(np.uint16) - a % 256  # noisy low byte
        cv2.imwrite(p, a[..., ::-1])
    add('coffee-80x54-rgb16.png', bicubic(coffee, 80, 54), save_rgb16, [96], '16-bit RGB PNG: high byte kept')
    add('rocket-100x67-cmyk.jpg', bicubic(rocket, 100, 67).convert('CMYK'),
        lambda im, p: im.save(p, quality=95), [224], 'CMYK JPEG (Adobe): PIL cmyk2rgb formula')

    for s in sources:
        im = Image.open(os.path.join(OUT, s['file']))
        s['pil_mode'] = im.mode
        s['format'] = im.format
        s['width'], s['height'] = im.size
        rgb = im.convert('RGB')
        base = os.path.splitext(os.path.basename(s['file']))[0]
        s['decoded'] = write_pixels('decoded/%s.rgb.gz' % base, np.asarray(rgb))
        s['refs'] = []
        for S in s['sizes']:
            ref = Image.open(os.path.join(OUT, s['file'])).convert('RGB').resize((S, S), Image.BICUBIC)
            s['refs'].append({'size': S, 'file': write_pixels('ref/%s-%d.rgb.gz' % (base, S), np.asarray(ref))})
        del s['sizes']
    return sources


# ---------------------------------------------------------------------------------------------
# 2. torchvision: ToTensor + Normalize, resized_crop, RandomResizedCrop fallback.
# ---------------------------------------------------------------------------------------------
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def make_torchvision_refs(sources):
    import torch
    import torchvision
    import torchvision.transforms as T
    import torchvision.transforms.functional as F
    from torchvision.transforms import InterpolationMode

    tf = T.Compose([T.ToTensor(), T.Normalize(CLIP_MEAN, CLIP_STD)])
    # Every uint8 value in every channel: a 1 x 256 image whose pixel v is (v, v, v).
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    table = tf(Image.fromarray(ramp, 'RGB')).numpy().astype('<f4')  # [3, 1, 256]
    # A real image for the layout (CHW) and the whole path: the 96 px reference of the coffee PNG.
    coffee = next(s for s in sources if s['file'].startswith('src/coffee-240x160'))
    ref96 = next(r for r in coffee['refs'] if r['size'] == 96)
    pixels = read_pixels(ref96['file'], (96, 96, 3))
    image = tf(Image.fromarray(pixels, 'RGB')).numpy().astype('<f4')
    normalize = {
        'mean': CLIP_MEAN,
        'std': CLIP_STD,
        'table_f32': b64(table.reshape(3, 256)),
        'image_input': ref96['file'],
        'image_f32': write_gz('torch/coffee-96-normalized.f32.gz', image.tobytes()),
        'image_shape': list(image.shape),
    }

    # resized_crop on a PIL image = crop + PIL resize; references at 96 px for a few boxes.
    astro = next(s for s in sources if s['file'].startswith('src/astronaut-300x300'))
    im = Image.open(os.path.join(OUT, astro['file'])).convert('RGB')
    crops = []
    for k, (i, j, h, w) in enumerate([(0, 0, 300, 300), (10, 37, 211, 173), (150, 5, 149, 260), (77, 120, 100, 100)]):
        out = F.resized_crop(im, i, j, h, w, [96, 96], InterpolationMode.BICUBIC)
        crops.append({'top': i, 'left': j, 'height': h, 'width': w, 'size': 96,
                      'file': write_pixels('torch/astronaut-crop%d-96.rgb.gz' % k, np.asarray(out))})

    # Fallback of RandomResizedCrop.get_params: scale > 1 can never fit, so all 10 tries fail.
    fallback = []
    for (W, H) in [(300, 300), (640, 200), (200, 640), (301, 400), (400, 301), (1000, 749), (749, 1000), (17, 5), (5, 17)]:
        i, j, h, w = T.RandomResizedCrop.get_params(Image.new('RGB', (W, H)), scale=[2.0, 3.0], ratio=[3 / 4, 4 / 3])
        fallback.append({'width': W, 'height': H, 'top': i, 'left': j, 'crop_height': h, 'crop_width': w})
    return {'torch': torch.__version__, 'torchvision': torchvision.__version__}, normalize, crops, fallback


# ---------------------------------------------------------------------------------------------
# 3. PIL ImageOps.equalize / autocontrast on small images, incl. degenerate histograms.
# ---------------------------------------------------------------------------------------------
def make_lut_op_refs():
    rng = np.random.RandomState(1234)
    cases = []
    chelsea = np.asarray(bicubic(photo('chelsea.png').convert('RGB'), 48, 32))
    cases.append(('photo-48x32', chelsea))
    cases.append(('random-17x13', rng.randint(0, 256, size=(13, 17, 3)).astype(np.uint8)))
    narrow = rng.randint(90, 140, size=(9, 11, 3)).astype(np.uint8)
    cases.append(('narrow-range-11x9', narrow))
    deg = rng.randint(0, 256, size=(6, 7, 3)).astype(np.uint8)
    deg[..., 0] = 77  # one value: unchanged by both
    deg[..., 1] = np.where(np.arange(42).reshape(6, 7) % 5 == 0, 200, 30)  # two values
    cases.append(('degenerate-7x6', deg))
    tiny = np.array([[[0, 10, 250], [5, 10, 251], [9, 12, 255]]], dtype=np.uint8)  # step 0 (few pixels)
    cases.append(('tiny-3x1', tiny))
    dark = (rng.rand(20, 30, 3) ** 3 * 60 + 3).astype(np.uint8)  # min > 0 in every channel
    cases.append(('dark-30x20', dark))

    out = []
    for name, arr in cases:
        im = Image.fromarray(arr, 'RGB')
        # The official autocontrast negates the channel minimum as a numpy uint8 scalar; reproduce
        # that arithmetic here to document what the official code returns.
        wrapped = np.empty_like(arr)
        for c in range(3):
            ch = arr[..., c]
            high, low = ch.max(), ch.min()
            if high <= low:
                wrapped[..., c] = ch
                continue
            scale = 255 / (int(high) - int(low))
            with np.errstate(over='ignore'):
                neg_low = np.negative(low)  # uint8 arithmetic: wraps for low > 0
            table = np.arange(256) * scale + int(neg_low) * scale
            wrapped[..., c] = table.clip(0, 255).astype(np.uint8)[ch]
        out.append({
            'name': name, 'width': arr.shape[1], 'height': arr.shape[0], 'input': b64(arr),
            'equalize': b64(np.asarray(ImageOps.equalize(im))),
            'autocontrast': b64(np.asarray(ImageOps.autocontrast(im, cutoff=0))),
            'autocontrast_blip_uint8_wrap': b64(wrapped),
        })
    return out


# ---------------------------------------------------------------------------------------------
# 4. OpenCV warpAffine with the matrices of BLIP's RandomAugment (fill 128, bilinear).
# ---------------------------------------------------------------------------------------------
def make_warp_refs():
    import cv2
    rng = np.random.RandomState(99)
    inputs = [
        ('photo-64x48', np.asarray(bicubic(photo('coffee.png').convert('RGB'), 64, 48))),
        ('random-23x17', rng.randint(0, 256, size=(17, 23, 3)).astype(np.uint8)),
        ('photo-97x61', np.asarray(bicubic(photo('astronaut.png').convert('RGB'), 97, 61))),
    ]
    fill = (128, 128, 128)

    def warp(img, M):
        H, W = img.shape[:2]
        return cv2.warpAffine(img, M, (W, H), borderValue=fill, flags=cv2.INTER_LINEAR)

    out = []
    for name, img in inputs:
        H, W = img.shape[:2]
        ops = []
        for f in (0.15, -0.15):
            ops.append(('ShearX', f, warp(img, np.float32([[1, f, 0], [0, 1, 0]]))))
            ops.append(('ShearY', f, warp(img, np.float32([[1, 0, 0], [f, 1, 0]]))))
        for off in (5.0, -5.0, 2.3):
            ops.append(('TranslateX', off, warp(img, np.float32([[1, 0, -off], [0, 1, 0]]))))
            ops.append(('TranslateY', off, warp(img, np.float32([[1, 0, 0], [0, 1, -off]]))))
        for deg in (15.0, -15.0, 7.5):
            M = cv2.getRotationMatrix2D((W / 2, H / 2), deg, 1)
            ops.append(('Rotate', deg, warp(img, M)))
        out.append({'name': name, 'width': W, 'height': H, 'input': b64(img),
                    'ops': [{'op': op, 'arg': arg, 'output': b64(res)} for op, arg, res in ops]})
    return cv2.__version__, out


def main():
    import shutil
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    sources = make_sources()
    versions, normalize, crops, fallback = make_torchvision_refs(sources)
    lut_ops = make_lut_op_refs()
    cv_version, warps = make_warp_refs()
    import PIL
    versions.update({'pillow': PIL.__version__, 'numpy': np.__version__, 'opencv': cv_version,
                     'python': sys.version.split()[0]})
    save_json('manifest.json', {'versions': versions, 'images': sources})
    save_json('torchvision.json', {'versions': versions, 'normalize': normalize, 'resized_crop': crops,
                                   'crop_fallback': fallback})
    save_json('lut-ops.json', {'versions': versions, 'cases': lut_ops})
    save_json('warp-affine.json.gz', {'versions': versions, 'cases': warps})


if __name__ == '__main__':
    main()
