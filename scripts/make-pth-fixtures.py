#!/usr/bin/python3
"""Writes the small PyTorch checkpoints under test/fixtures/pth/ that the .pth reader tests use.

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/make-pth-fixtures.py
The output is deterministic (fixed seeds, fixed zip timestamps), except legacy.pth, whose storage
keys are memory addresses.

Files:
  views.pth                tensors that are strided / offset / expanded views sharing storages, every
                           dtype the library reads, a scalar, an empty tensor, a Parameter, NaN payloads
  state-dict-wrapper.pth   {'state_dict': OrderedDict (with _metadata), plus plain top-level values}
  tied.pth                 {'model': state_dict} of a tiny module with BLIP/UniAdapter-style shared
                           modules and tied weights: several names share one storage
  deflated.pth             views.pth re-zipped with every entry DEFLATE-compressed
  zip64.pth                views.pth re-zipped with ZIP64 records and extra fields forced on
  legacy.pth               views.pth's dict saved in the legacy (non-zip) format
  short.pth                an int16 tensor (a dtype the library refuses)
  evil-reduce.pth          a zip checkpoint whose pickle calls os.system (must be refused, never run)
  not-a-checkpoint.zip     a zip without data.pkl
  expected.json            for each readable checkpoint: every tensor's dtype, shape and contiguous
                           bytes (hex), and the plain top-level values
"""
import collections
import json
import os
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'pth')
# The test checks that this file is never created when evil-reduce.pth is opened.
EXECUTION_MARKER = '/tmp/uniadapter-pickle-was-executed'

DTYPE_NAMES = {
    torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16',
    torch.bfloat16: 'bfloat16', torch.int64: 'int64', torch.int32: 'int32',
    torch.uint8: 'uint8', torch.bool: 'bool',
}


def contiguous_hex(t):
    c = t.detach().contiguous().reshape(-1)
    if c.dtype == torch.bool:
        c = c.to(torch.uint8)
    return bytes(c.view(torch.uint8).tolist()).hex()


def describe(tensors):
    return {k: {'dtype': DTYPE_NAMES[v.dtype], 'shape': list(v.shape), 'hex': contiguous_hex(v)}
            for k, v in tensors.items()}


def views():
    g = torch.Generator().manual_seed(1234)
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    nan_words = torch.tensor([0x7fc00001, 0x7fa00002, 0xffc00003 - 2**32, 0x00000001], dtype=torch.int32)
    return {
        'base': base,
        'transposed': base.transpose(0, 2),
        'slice_offset': base[1],
        'column': base[:, :, 1],
        'stepped': base.view(-1)[2::5],
        'expanded': torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),
        'bf16_permuted': torch.randn(3, 4, 5, generator=g).to(torch.bfloat16).permute(2, 0, 1),
        'f16_transposed': torch.randn(4, 6, generator=g).half().t(),
        'f64_block': torch.randn(5, 5, generator=g, dtype=torch.float64)[1:4, 2:5],
        'i64_transposed': torch.arange(12).reshape(3, 4).t(),
        'i32': torch.arange(-5, 5, dtype=torch.int32),
        'u8': torch.arange(250, 256, dtype=torch.uint8),
        'bool_transposed': (torch.arange(6).reshape(2, 3) % 2 == 0).t(),
        'scalar': torch.tensor(3.5),
        'empty': torch.zeros(0, 3),
        'param': torch.nn.Parameter(torch.randn(2, 2, generator=g)),
        'nan_payloads_transposed': nan_words.view(torch.float32).reshape(2, 2).t(),
    }


def rezip(src, dst, compression):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w') as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = compression
            zout.writestr(fixed, zin.read(info.filename))


def tied_model():
    """Module sharing like UniAdapter's (one adapter under several parents) and BLIP's tied LM head."""
    nn = torch.nn
    root = nn.Module()
    root.adapters = nn.ModuleList([nn.Linear(3, 2)])
    root.visual_encoder = nn.Module()
    root.visual_encoder.blocks = nn.ModuleList([nn.Module()])
    root.visual_encoder.blocks[0].adapter = root.adapters[0]
    root.text_decoder = nn.Module()
    root.text_decoder.bert = nn.Module()
    root.text_decoder.bert.embeddings = nn.Module()
    root.text_decoder.bert.embeddings.word_embeddings = nn.Embedding(5, 3)
    root.text_decoder.cls = nn.Module()
    root.text_decoder.cls.predictions = nn.Module()
    predictions = root.text_decoder.cls.predictions
    predictions.decoder = nn.Linear(3, 5)
    predictions.decoder.weight = root.text_decoder.bert.embeddings.word_embeddings.weight
    predictions.bias = predictions.decoder.bias
    return root


class CallsSystem:
    def __reduce__(self):
        return (os.system, ('touch ' + EXECUTION_MARKER,))


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    path = lambda name: os.path.join(OUT, name)
    expected = {}

    v = views()
    torch.save(v, path('views.pth'))
    expected['views.pth'] = {'stateDictEntry': None, 'tensors': describe(v), 'extras': {}}

    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        model[1].running_mean.copy_(torch.tensor([0.25, -0.5]))
    state = model.state_dict()
    assert isinstance(state, collections.OrderedDict) and hasattr(state, '_metadata')
    wrapper = {
        'state_dict': state,
        'epoch': 7,
        'name': 'tiny',
        'lr': 0.5,
        'flags': [True, False, None],
        'shape': (1, 2),
        'blob': b'\x00\xff',
        'big': 2 ** 70,
        'negative': -3,
        'config': {'vit': 'base', 'image_size': 384},
    }
    torch.save(wrapper, path('state-dict-wrapper.pth'))
    expected['state-dict-wrapper.pth'] = {
        'stateDictEntry': 'state_dict',
        'tensors': describe(state),
        'extras': {'epoch': 7, 'name': 'tiny', 'lr': 0.5, 'flags': [True, False, None], 'shape': [1, 2],
                   'blob': '00ff', 'big': str(2 ** 70), 'negative': -3,
                   'config': {'vit': 'base', 'image_size': 384}},
    }

    tied = tied_model().state_dict()
    torch.save({'model': tied}, path('tied.pth'))
    expected['tied.pth'] = {'stateDictEntry': 'model', 'tensors': describe(tied), 'extras': {}}

    rezip(path('views.pth'), path('deflated.pth'), compression=zipfile.ZIP_DEFLATED)
    expected['deflated.pth'] = expected['views.pth']

    saved_limit = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 16  # every size and offset above 16 bytes goes through the ZIP64 fields
    try:
        rezip(path('views.pth'), path('zip64.pth'), compression=zipfile.ZIP_STORED)
    finally:
        zipfile.ZIP64_LIMIT = saved_limit
    expected['zip64.pth'] = expected['views.pth']

    torch.save(v, path('legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save({'x': torch.arange(4, dtype=torch.int16)}, path('short.pth'))
    torch.save({'weight': torch.zeros(2), 'payload': CallsSystem()}, path('evil-reduce.pth'))
    with zipfile.ZipFile(path('not-a-checkpoint.zip'), 'w') as z:
        z.writestr(zipfile.ZipInfo('hello/readme.txt', date_time=(1980, 1, 1, 0, 0, 0)), 'not a checkpoint\n')

    with open(path('expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write('\n')
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(path(name))
        assert size < 50 * 1024, name
        print(f'{size:8d}  {name}')


if __name__ == '__main__':
    main()
