#!/usr/bin/env python3
"""Plain-PyTorch reference of the computations timed by the uniadapter benchmark suite.

Written for the benchmarks from the architecture description (ARCHITECTURE_SPEC §3-§8): a ViT with
the UniAdapter visual branch, the BERT text encoder with cross-attention ("MED") and the UniAdapter
textual, query-residual and cross-modal branches, the cross-attention key/value low-rank adapters,
the retrieval heads, and the UniAdapter retrieval training step (ITC with momentum distillation and
a queue, ITM with sampled hard negatives, backward, AdamW over the trainable parameters). The
momentum encoders share the frozen backbone with the main ones and keep their own adapters and
heads, as uniadapter does. Weights are random: only the timings matter.

Usage:
  python3 blip_reference.py '<job json>'    (or @job.json)  run a whole job, print one JSON answer
  python3 blip_reference.py --serve                          one case per stdin line (used by the suite)
  python3 blip_reference.py --parity DIR                      outputs for given weights and inputs (tests)

A job holds {device, threads, interopThreads, seed, models: {key: ModelConfig}, cases: [...]}
(see benchmarks/reference-spec.ts); the last stdout line is the answer {python, torch, threads,
interopThreads, results: {id: {samplesMs, peakRssMb, ...}}}. In --serve mode the first line is
{device, threads, interopThreads, seed} and is answered with {python, torch, threads,
interopThreads}; every further line {case, model} (model = the ModelConfig) is answered with that
case's result on one line. The suite runs each reference case right after its own measurement, so
that both sides see the same machine load. Progress goes to stderr. --parity reads DIR/config.json
(a ModelConfig), DIR/weights.safetensors (uniadapter's state dict) and DIR/inputs.safetensors, and
prints the ITC features and ITM logits, so that a test can check that the reference computes what
uniadapter computes.
"""

import copy
import gc
import json
import math
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------


class LayerNorm(nn.LayerNorm):
    """nn.LayerNorm computed in fp32 under autocast, as CUDA autocast does; CPU autocast in torch 1.13
    leaves layer_norm out and would fail on a bf16 input with fp32 weights."""

    def forward(self, x):
        return F.layer_norm(x.float(), self.normalized_shape, self.weight, self.bias, self.eps)


class UniAdapter(nn.Module):
    """One adapter per layer index, shared by ViT block i and text layer i.

    A shared down-projection after an input LayerNorm (eps 1e-5), ReLU, and one up-projection per
    branch; returns only the delta (the host block supplies the residual), scaled by a fixed 0.1.
    """

    def __init__(self, d, r, scale):
        super().__init__()
        self.adapter_layer_norm_before = LayerNorm(d)
        self.down_proj = nn.Linear(d, r)
        self.up_proj = nn.Linear(r, d)
        self.multi_up_proj = nn.Linear(r, d)
        self.visual_up_proj = nn.Linear(r, d)
        self.adapter_layer_norm_cross_modal = LayerNorm(d)
        self.scale = scale

    def forward(self, x, branch):
        z = F.relu(self.down_proj(self.adapter_layer_norm_before(x)))
        if branch == "visual":
            return self.scale * self.visual_up_proj(z)
        if branch == "text":
            return self.scale * self.up_proj(z)
        return self.scale * self.adapter_layer_norm_cross_modal(self.multi_up_proj(z) + self.up_proj(z))


class LowRankOffset(nn.Module):
    """Key or value offset of every cross-attention: scale * up(down(E)), no activation."""

    def __init__(self, d_in, r, d_out):
        super().__init__()
        self.down_proj = nn.Linear(d_in, r)
        self.up_proj = nn.Linear(r, d_out)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.scale * self.up_proj(self.down_proj(x))


class VitAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        b, n, c = x.shape
        hd = c // self.heads
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.matmul(q, k.transpose(-2, -1)) * hd ** -0.5
        attn = attn.softmax(dim=-1)
        return self.proj(torch.matmul(attn, v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class VitBlock(nn.Module):
    """Pre-norm block; the visual adapter reads the stream after attention and adds beside the MLP."""

    def __init__(self, d, heads, mlp, eps):
        super().__init__()
        self.norm1 = LayerNorm(d, eps=eps)
        self.attn = VitAttention(d, heads)
        self.norm2 = LayerNorm(d, eps=eps)
        self.mlp = Mlp(d, mlp)

    def forward(self, x, adapter):
        a = x + self.attn(self.norm1(x))
        out = a + self.mlp(self.norm2(a))
        if adapter is not None:
            out = out + adapter(a, "visual")
        return out


class PatchEmbed(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.proj = nn.Conv2d(3, d, kernel_size=p, stride=p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # row-major patch order


class VisionTransformer(nn.Module):
    """ViT on uint8 HWC pixels, normalised with CLIP's mean and std; returns every token after the final norm."""

    def __init__(self, v):
        super().__init__()
        d, p, s = v["width"], v["patchSize"], v["imageSize"]
        eps = v.get("lnEps", 1e-6)
        grid = s // p
        self.patch_embed = PatchEmbed(d, p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + grid * grid, d) * 0.02)
        self.blocks = nn.ModuleList([VitBlock(d, v["heads"], v["mlpHidden"], eps) for _ in range(v["depth"])])
        self.norm = LayerNorm(d, eps=eps)
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(CLIP_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, pixels, adapters):
        x = pixels.permute(0, 3, 1, 2).contiguous().float().div(255)
        x = self.patch_embed((x - self.mean) / self.std)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for i, blk in enumerate(self.blocks):
            x = blk(x, adapters[i] if adapters is not None and i < len(adapters) else None)
        return self.norm(x)


class HeadsAttention(nn.Module):
    """Query/key/value projections and scaled dot-product attention over heads (BertSelfAttention)."""

    def __init__(self, h, heads, kv_width, p_attn):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(kv_width, h)
        self.value = nn.Linear(kv_width, h)
        self.p_attn = p_attn

    def split(self, x):
        b, n, c = x.shape
        return x.view(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, x, states, mask_add, dk=None, dv=None):
        b, n, c = x.shape
        q = self.split(self.query(x))
        k = self.key(states)
        v = self.value(states)
        if dk is not None:
            k = k + dk
            v = v + dv
        k, v = self.split(k), self.split(v)
        # With one candidate (states batch 1) against many texts, matmul broadcasts its keys/values.
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(c // self.heads)
        if mask_add is not None:
            s = s + mask_add
        prob = F.dropout(s.softmax(dim=-1), self.p_attn, self.training)
        return torch.matmul(prob, v).transpose(1, 2).reshape(b, n, c)


class DenseNorm(nn.Module):
    """Post-norm output of a sub-layer: LayerNorm(dropout(dense(h)) + residual)."""

    def __init__(self, d_in, d_out, eps, p_hidden):
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = LayerNorm(d_out, eps=eps)
        self.p_hidden = p_hidden

    def forward(self, h, residual):
        return self.LayerNorm(F.dropout(self.dense(h), self.p_hidden, self.training) + residual)


class AttentionSublayer(nn.Module):
    def __init__(self, h, heads, kv_width, eps, p_attn, p_hidden):
        super().__init__()
        self.self = HeadsAttention(h, heads, kv_width, p_attn)
        self.output = DenseNorm(h, h, eps, p_hidden)

    def forward(self, x, states, mask_add, dk=None, dv=None):
        return self.output(self.self(x, states, mask_add, dk, dv), x)


class Intermediate(nn.Module):
    def __init__(self, h, i):
        super().__init__()
        self.dense = nn.Linear(h, i)

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertLayer(nn.Module):
    """Text layer in mode 'text' (self-attention, FFN) or 'multimodal' (+ cross-attention), with the UniAdapter deltas added after the FFN's LayerNorm."""

    def __init__(self, t):
        super().__init__()
        h, eps = t["hidden"], t.get("lnEps", 1e-12)
        pa, ph = t.get("attentionDropout", 0.1), t.get("hiddenDropout", 0.1)
        self.attention = AttentionSublayer(h, t["heads"], h, eps, pa, ph)
        self.crossattention = AttentionSublayer(h, t["heads"], t.get("encoderWidth", h), eps, pa, ph)
        self.intermediate = Intermediate(h, t["intermediate"])
        self.output = DenseNorm(t["intermediate"], h, eps, ph)

    def forward(self, x, mask_add, mode, adapter, states=None, dk=None, dv=None):
        a = self.attention(x, x, mask_add)
        h = a
        dq = dh = None
        if mode == "multimodal":
            if adapter is not None:
                dq = adapter(a, "text")  # query residual: the textual branch on the self-attention output
            h = self.crossattention(a, states, None, dk, dv)
            if adapter is not None:
                dh = adapter(h, "multimodal")
        elif adapter is not None:
            dq = adapter(a, "text")
        out = self.output(self.intermediate(h), h)
        if dq is not None:
            out = out + dq
        if dh is not None:
            out = out + dh
        return out


class Embeddings(nn.Module):
    """Word + absolute position embeddings (no token types), LayerNorm, dropout."""

    def __init__(self, t):
        super().__init__()
        h = t["hidden"]
        self.word_embeddings = nn.Embedding(t["vocabSize"], h, padding_idx=0)
        self.position_embeddings = nn.Embedding(t["maxPosition"], h)
        self.LayerNorm = LayerNorm(h, eps=t.get("lnEps", 1e-12))
        self.p_hidden = t.get("hiddenDropout", 0.1)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None]
        return F.dropout(self.LayerNorm(x), self.p_hidden, self.training)


class Encoder(nn.Module):
    """The layers, and the cross-attention key/value offsets (computed once per call, used by every layer)."""

    def __init__(self, t, kv_rank):
        super().__init__()
        h = t["hidden"]
        self.layer = nn.ModuleList([BertLayer(t) for _ in range(t["layers"])])
        if kv_rank:
            we = t.get("encoderWidth", h)
            self.video_key_adapter = LowRankOffset(we, kv_rank, h)
            self.video_value_adapter = LowRankOffset(we, kv_rank, h)
        else:
            self.video_key_adapter = self.video_value_adapter = None

    def forward(self, x, mask_add, mode, adapters, states=None):
        dk = dv = None
        if mode == "multimodal" and self.video_key_adapter is not None:
            dk, dv = self.video_key_adapter(states), self.video_value_adapter(states)
        for i, layer in enumerate(self.layer):
            adapter = adapters[i] if adapters is not None and i < len(adapters) else None
            x = layer(x, mask_add, mode, adapter, states, dk, dv)
        return x


class TextEncoder(nn.Module):
    """BERT-base with cross-attention in every layer (BLIP's MED; no token types, no pooler)."""

    def __init__(self, t, kv_rank):
        super().__init__()
        self.embeddings = Embeddings(t)
        self.encoder = Encoder(t, kv_rank)

    def forward(self, ids, mask, mode, adapters, states=None):
        x = self.embeddings(ids)
        mask_add = (1.0 - mask[:, None, None, :].to(x.dtype)) * -10000.0
        return self.encoder(x, mask_add, mode, adapters, states)


class RetrievalReference(nn.Module):
    """BLIP retrieval with UniAdapter: encoders, heads, momentum adapters/heads, ITC queues."""

    def __init__(self, cfg):
        super().__init__()
        v, t, petl = cfg["vision"], cfg["text"], cfg["petl"]
        e = cfg.get("embedDim", 256)
        self.enc_token = cfg["tokens"]["enc"]
        self.momentum = cfg.get("momentum", 0.995)
        self.official_ema = cfg.get("momentumUpdate", "official") == "official"
        kv_rank = petl.get("kvBottleneck", 64) if petl.get("kvAdapter") else 0
        self.visual_encoder = VisionTransformer(v)
        self.text_encoder = TextEncoder(t, kv_rank)
        self.vision_proj = nn.Linear(v["width"], e)
        self.text_proj = nn.Linear(t["hidden"], e)
        self.itm_head = nn.Linear(t["hidden"], 2)
        self.temp = nn.Parameter(torch.tensor(0.07))
        n_adapters = min(v["depth"], t["layers"]) if petl.get("method") == "uniadapter" else 0
        r, sc = petl.get("bottleneck", 512), petl.get("scale", 0.1)
        self.adapters = nn.ModuleList([UniAdapter(t["hidden"], r, sc) for _ in range(n_adapters)])
        enc = self.text_encoder.encoder
        kv = nn.ModuleList([enc.video_key_adapter, enc.video_value_adapter]) if kv_rank else None
        # Momentum copies of the adapters, key/value offsets and heads only; the frozen backbone is
        # shared (the momentum text encoder runs in 'text' mode, which uses no key/value offsets).
        self.adapters_m = copy.deepcopy(self.adapters)
        self.kv_m = copy.deepcopy(kv)
        self.vision_proj_m = copy.deepcopy(self.vision_proj)
        self.text_proj_m = copy.deepcopy(self.text_proj)
        q = cfg.get("queueSize", 57600)
        self.register_buffer("image_queue", F.normalize(torch.randn(e, q), dim=0))
        self.register_buffer("text_queue", F.normalize(torch.randn(e, q), dim=0))
        self.register_buffer("idx_queue", torch.full((1, q), -100, dtype=torch.long))
        self.queue_ptr = 0
        official_rule = petl.get("trainableRule", "official") == "official"
        for name, p in self.named_parameters():
            trainable = name.startswith(("adapters.", "vision_proj.", "text_proj.", "itm_head.")) or "encoder.video_" in name
            if official_rule and "adapter_layer_norm_cross_modal" in name:
                trainable = False  # the scripts' '_m' name test freezes it
            p.requires_grad_(trainable)

    def trainable_parameters(self):
        return [p for p in self.parameters() if p.requires_grad]

    def encode_image(self, pixels, momentum=False):
        tokens = self.visual_encoder(pixels, self.adapters_m if momentum else self.adapters)
        proj = self.vision_proj_m if momentum else self.vision_proj
        cls = tokens[:, 0]
        feat = F.normalize(proj(cls), dim=-1)
        frame_feat = None if momentum else F.normalize(proj(cls.unsqueeze(1)), dim=-1)
        return tokens, feat, frame_feat

    def encode_text(self, ids, mask, momentum=False):
        hidden = self.text_encoder(ids, mask, "text", self.adapters_m if momentum else self.adapters)
        proj = self.text_proj_m if momentum else self.text_proj
        return hidden, F.normalize(proj(hidden[:, 0]), dim=-1)

    def itm_hidden(self, ids, mask, states):
        enc = ids.clone()
        enc[:, 0] = self.enc_token
        return self.text_encoder(enc, mask, "multimodal", self.adapters, states)

    def itm_logits(self, ids, mask, states):
        return self.itm_head(self.itm_hidden(ids, mask, states)[:, 0])

    @torch.no_grad()
    def momentum_update(self):
        m = self.momentum
        pairs = [(self.vision_proj, self.vision_proj_m, 1), (self.text_proj, self.text_proj_m, 1)]
        if self.kv_m is not None:
            enc = self.text_encoder.encoder
            pairs.append((nn.ModuleList([enc.video_key_adapter, enc.video_value_adapter]), self.kv_m, 1))
        # The official loop visits the shared adapters twice (through the ViT and the text encoder).
        pairs.append((self.adapters, self.adapters_m, 2 if self.official_ema else 1))
        for main, mom, times in pairs:
            for p, pm in zip(main.parameters(), mom.parameters()):
                for _ in range(times):
                    pm.mul_(m).add_(p.detach(), alpha=1.0 - m)

    @torch.no_grad()
    def enqueue(self, image_feat, text_feat, idx):
        b = image_feat.shape[0]
        q = self.image_queue.shape[1]
        ptr = self.queue_ptr
        self.image_queue[:, ptr:ptr + b] = image_feat.t()
        self.text_queue[:, ptr:ptr + b] = text_feat.t()
        self.idx_queue[:, ptr:ptr + b] = idx.t()
        self.queue_ptr = (ptr + b) % q

    def train_step(self, pixels, ids, mask, idx, alpha, optimizer):
        with torch.no_grad():
            self.temp.clamp_(0.001, 0.5)
        b = pixels.shape[0]
        tokens, image_feat, _ = self.encode_image(pixels)
        _, text_feat = self.encode_text(ids, mask)
        idx = idx.view(-1, 1)
        pos = torch.eq(idx, torch.cat([idx.t(), self.idx_queue.clone()], dim=1)).float()
        sim_targets = pos / pos.sum(1, keepdim=True)
        with torch.no_grad():
            self.momentum_update()
            _, image_feat_m, _ = self.encode_image(pixels, momentum=True)
            _, text_feat_m = self.encode_text(ids, mask, momentum=True)
            image_all = torch.cat([image_feat_m.t(), self.image_queue.clone()], dim=1)
            text_all = torch.cat([text_feat_m.t(), self.text_queue.clone()], dim=1)
            t_i2t = alpha * F.softmax(image_feat_m @ text_all / self.temp, dim=1) + (1 - alpha) * sim_targets
            t_t2i = alpha * F.softmax(text_feat_m @ image_all / self.temp, dim=1) + (1 - alpha) * sim_targets
        sim_i2t = image_feat @ text_all / self.temp
        sim_t2i = text_feat @ image_all / self.temp
        loss_i2t = -torch.sum(F.log_softmax(sim_i2t, dim=1) * t_i2t, dim=1).mean()
        loss_t2i = -torch.sum(F.log_softmax(sim_t2i, dim=1) * t_t2i, dim=1).mean()
        loss_ita = (loss_i2t + loss_t2i) / 2
        self.enqueue(image_feat_m, text_feat_m, idx)

        out_pos = self.itm_hidden(ids, mask, tokens)
        with torch.no_grad():
            same = torch.eq(idx, idx.t())
            w_i2t = F.softmax(image_feat @ text_feat.t() / self.temp, dim=1).masked_fill(same, 0)
            w_t2i = F.softmax(text_feat @ image_feat.t() / self.temp, dim=1).masked_fill(same, 0)
            neg_img = torch.multinomial(w_t2i, 1).squeeze(1)
            neg_txt = torch.multinomial(w_i2t, 1).squeeze(1)
        ids_all = torch.cat([ids, ids[neg_txt]], dim=0)
        mask_all = torch.cat([mask, mask[neg_txt]], dim=0)
        tokens_all = torch.cat([tokens[neg_img], tokens], dim=0)
        out_neg = self.itm_hidden(ids_all, mask_all, tokens_all)
        logits = self.itm_head(torch.cat([out_pos[:, 0], out_neg[:, 0]], dim=0))
        labels = torch.cat([torch.ones(b, dtype=torch.long), torch.zeros(2 * b, dtype=torch.long)]).to(logits.device)
        loss_itm = F.cross_entropy(logits, labels)
        loss = loss_ita + loss_itm

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in self.trainable_parameters() if p.grad is not None]
        grad_norm = math.sqrt(sum(g.double().pow(2).sum().item() for g in grads))
        optimizer.step()
        return loss.item(), grad_norm


# --------------------------------------------------------------------------------------------
# Inputs (same formulas as benchmarks/inputs.ts)
# --------------------------------------------------------------------------------------------


def text_length(b, length):
    return length - ((b * 7) % max(1, length // 2))


def text_batch(batch, length, tokens, offset=0):
    ids = torch.full((batch, length), tokens["pad"], dtype=torch.long)
    mask = torch.zeros((batch, length), dtype=torch.long)
    for b in range(batch):
        n = offset + b
        ln = text_length(n, length)
        ids[b, 0] = tokens["cls"]
        for pos in range(1, ln - 1):
            ids[b, pos] = 1000 + ((n * 7919 + pos * 104729) % 20000)
        ids[b, ln - 1] = tokens["sep"]
        mask[b, :ln] = 1
    return ids, mask


def random_pixels(gen, batch, size):
    return torch.randint(0, 256, (batch, size, size, 3), dtype=torch.uint8, generator=gen)


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


def status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class PeakRss:
    """Peak resident memory from now on (VmHWM reset through /proc/self/clear_refs on Linux)."""

    def __init__(self):
        self.before = (status_kb("VmRSS") or 0) / 1024
        self.scope = "process"
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.scope = "benchmark"
        except OSError:
            pass

    def stop(self):
        hwm = status_kb("VmHWM")
        if hwm is None:
            import resource

            return {"peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rssBeforeMb": self.before, "memoryScope": "process"}
        return {"peakRssMb": hwm / 1024, "rssBeforeMb": self.before, "memoryScope": self.scope}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_iterations(fn, warmup, iterations, device):
    for _ in range(warmup):
        fn()
        sync(device)
    probe = PeakRss()
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        sync(device)
        samples.append((time.perf_counter() - t0) * 1000)
    out = {"samplesMs": samples}
    out.update(probe.stop())
    return out


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


def case_vit(model, cfg, p, c, device, gen):
    pixels = random_pixels(gen, p["batch"], cfg["vision"]["imageSize"]).to(device)
    model.eval()
    with torch.inference_mode():
        return time_iterations(lambda: model.encode_image(pixels), c["warmup"], c["iterations"], device)


def case_text(model, cfg, p, c, device, gen):
    ids, mask = text_batch(p["batch"], p["length"], cfg["tokens"])
    ids, mask = ids.to(device), mask.to(device)
    model.eval()
    with torch.inference_mode():
        return time_iterations(lambda: model.encode_text(ids, mask), c["warmup"], c["iterations"], device)


def memory_shape(cfg):
    v = cfg["vision"]
    g = v["imageSize"] // v["patchSize"]
    return 1 + g * g, v["width"]


def case_itm(model, cfg, p, c, device, gen):
    n, d = memory_shape(cfg)
    ids, mask = text_batch(p["pairs"], p["length"], cfg["tokens"])
    ids, mask = ids.to(device), mask.to(device)
    states = (torch.rand(p["pairs"], n, d, generator=gen) * 4 - 2).to(device)
    model.eval()
    with torch.inference_mode():
        return time_iterations(lambda: model.itm_logits(ids, mask, states), c["warmup"], c["iterations"], device)


def case_rerank(model, cfg, p, c, device, gen):
    n, d = memory_shape(cfg)
    k = p["k"]
    ids, mask = text_batch(k, p["length"], cfg["tokens"])
    ids, mask = ids.to(device), mask.to(device)
    one = (torch.rand(1, n, d, generator=gen) * 4 - 2).to(device)
    states = one if p["shared"] else one.expand(k, n, d).contiguous()
    model.eval()
    with torch.inference_mode():
        return time_iterations(lambda: model.itm_logits(ids, mask, states), c["warmup"], c["iterations"], device)


def case_train(model, cfg, p, c, device, gen):
    b = p["batch"]
    pixels = random_pixels(gen, b, cfg["vision"]["imageSize"]).to(device)
    ids, mask = text_batch(b, p["length"], cfg["tokens"])
    ids, mask = ids.to(device), mask.to(device)
    idx = torch.arange(b, device=device)
    opt = torch.optim.AdamW(model.trainable_parameters(), lr=p["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=p["weightDecay"])
    model.train()
    last = {}

    def step():
        last["loss"], _ = model.train_step(pixels, ids, mask, idx, p["alpha"], opt)

    out = time_iterations(step, c["warmup"], c["iterations"], device)
    out["extra"] = {"lastLoss": last.get("loss", float("nan"))}
    return out


def case_eval(model, cfg, p, c, device, gen):
    """Embed a gallery and its texts, shortlist k by ITC both ways, ITM re-rank the union grouped by image, R@K."""
    G, tpi, k, batch, tb, length = p["images"], p["textsPerImage"], p["k"], p["batch"], p["textBatch"], p["length"]
    Q = G * tpi
    size = cfg["vision"]["imageSize"]
    model.eval()
    phases = {"embedImagesSeconds": [], "embedTextsSeconds": [], "rerankSeconds": [], "metricsSeconds": []}
    pairs_count = [0]

    def once(record):
        with torch.inference_mode():
            t_img = 0.0
            tokens, feats = [], []
            for i in range(0, G, batch):
                px = random_pixels(torch.Generator().manual_seed(1000 + i), min(batch, G - i), size).to(device)
                t0 = time.perf_counter()
                tok, feat, _ = model.encode_image(px)
                sync(device)
                t_img += time.perf_counter() - t0
                tokens.append(tok)
                feats.append(feat)
            t1 = time.perf_counter()
            all_ids, all_mask, tfeats = [], [], []
            for j in range(0, Q, tb):
                ids, mask = text_batch(min(tb, Q - j), length, cfg["tokens"], j)
                ids, mask = ids.to(device), mask.to(device)
                _, f = model.encode_text(ids, mask)
                all_ids.append(ids)
                all_mask.append(mask)
                tfeats.append(f)
            sync(device)
            t2 = time.perf_counter()
            tokens, img_feat = torch.cat(tokens), torch.cat(feats)
            ids, mask, txt_feat = torch.cat(all_ids), torch.cat(all_mask), torch.cat(tfeats)
            sims = img_feat @ txt_feat.t()
            i2t_top = sims.topk(k, dim=1).indices.cpu()
            t2i_top = sims.t().topk(k, dim=1).indices.cpu()
            groups = {}
            for i in range(G):
                groups.setdefault(i, set()).update(i2t_top[i].tolist())
            for j in range(Q):
                for i in t2i_top[j].tolist():
                    groups.setdefault(i, set()).add(j)
            score = torch.full((G, Q), -100.0, device=device)
            n_pairs = 0
            for i in sorted(groups):
                js = torch.tensor(sorted(groups[i]), device=device)
                n_pairs += len(js)
                score[i, js] = model.itm_logits(ids[js], mask[js], tokens[i:i + 1])[:, 1].float()
            i2t = torch.full((G, Q), -100.0, device=device)
            i2t.scatter_(1, i2t_top.to(device), score.gather(1, i2t_top.to(device)))
            t2i = torch.full((Q, G), -100.0, device=device)
            t2i.scatter_(1, t2i_top.to(device), score.t().gather(1, t2i_top.to(device)))
            sync(device)
            t3 = time.perf_counter()
            gt_img = torch.arange(Q, device=device) // tpi
            best_img = t2i.topk(10, dim=1).indices
            ir = {kk: (best_img[:, :kk] == gt_img[:, None]).any(1).float().mean().item() * 100 for kk in (1, 5, 10)}
            best_txt = i2t.topk(10, dim=1).indices // tpi
            tr = {kk: (best_txt[:, :kk] == torch.arange(G, device=device)[:, None]).any(1).float().mean().item() * 100 for kk in (1, 5, 10)}
            t4 = time.perf_counter()
        pairs_count[0] = n_pairs
        if record:
            phases["embedImagesSeconds"].append(t_img)
            phases["embedTextsSeconds"].append(t2 - t1)
            phases["rerankSeconds"].append(t3 - t2)
            phases["metricsSeconds"].append(t4 - t3)
        return (t_img + (t4 - t1)) * 1000, tr[1], ir[1]

    for _ in range(c["warmup"]):
        once(False)
    probe = PeakRss()
    samples = []
    r1 = 0.0
    for _ in range(c["iterations"]):
        ms, r1, _ = once(True)
        samples.append(ms)
    out = {"samplesMs": samples}
    out.update(probe.stop())
    med = {k2: statistics.median(v2) for k2, v2 in phases.items()}
    extra = dict(med)
    extra["rerankPairs"] = pairs_count[0]
    extra["rerankPairsPerSecond"] = pairs_count[0] / med["rerankSeconds"] if med["rerankSeconds"] > 0 else 0
    extra["textR1"] = r1
    out["extra"] = extra
    return out


CASES = {"vit": case_vit, "text": case_text, "itm": case_itm, "rerank": case_rerank, "train": case_train, "eval": case_eval}


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def setup(spec):
    """Thread settings, seeds and device of a run, as the suite set its own."""
    torch.set_num_threads(int(spec.get("threads", 1)))
    try:
        torch.set_num_interop_threads(int(spec.get("interopThreads", 1)))
    except RuntimeError:
        pass  # already set (only possible before any parallel work)
    torch.manual_seed(int(spec.get("seed", 0)))
    return torch.device(spec.get("device", "cpu")), torch.Generator().manual_seed(int(spec.get("seed", 0)))


def versions():
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
    }


class Runner:
    """Runs cases, keeping the model of the last case (a new configuration replaces it)."""

    def __init__(self, device, gen):
        self.device = device
        self.gen = gen
        self.key = None
        self.model = None

    def release(self):
        self.model = None
        self.key = None
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def run(self, case, cfg):
        try:
            key = json.dumps(cfg, sort_keys=True)
            if key != self.key:
                self.release()
                t0 = time.perf_counter()
                self.model = RetrievalReference(cfg).to(self.device)
                self.key = key
                log("built the reference model at %d px in %.1f s" % (cfg["vision"]["imageSize"], time.perf_counter() - t0))
            cuda = self.device.type == "cuda"
            if cuda:
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(self.device)
            # bf16 as the suite runs it: autocast over fp32 weights (the official code has no bf16 path).
            bf16 = cfg.get("precision") == "bf16"
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=bf16):
                out = CASES[case["kind"]](self.model, cfg, case["params"], case, self.device, self.gen)
            if cuda:
                out["gpuAllocatedPeakMb"] = torch.cuda.max_memory_allocated(self.device) / 2**20
                out["gpuReservedPeakMb"] = torch.cuda.max_memory_reserved(self.device) / 2**20
            log("%s: median %.1f ms" % (case["id"], statistics.median(out["samplesMs"])))
        except Exception as e:  # report and go on with the other cases
            out = {"samplesMs": [], "error": "%s: %s" % (type(e).__name__, e)}
            log("%s: FAILED %s" % (case["id"], out["error"]))
        return out


def serve():
    first = sys.stdin.readline()
    if not first:
        return 0
    device, gen = setup(json.loads(first))
    runner = Runner(device, gen)
    print(json.dumps(versions()), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if msg.get("release"):
            runner.release()
            print(json.dumps({"released": True}), flush=True)
            continue
        out = runner.run(msg["case"], msg["model"])
        out["id"] = msg["case"]["id"]
        print(json.dumps(out), flush=True)
    return 0


def read_safetensors(path):
    """Tensors of a safetensors file (the format is an 8-byte header length, a JSON header, raw data)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dtype = dtypes[meta["dtype"]]
        t = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=dtype) if b > a else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(meta["shape"])
    return out


def parity(dirname):
    with open(dirname + "/config.json") as f:
        cfg = json.load(f)
    torch.set_num_threads(1)
    model = RetrievalReference(cfg)
    weights = read_safetensors(dirname + "/weights.safetensors")
    own = model.state_dict()
    loadable = {k: v for k, v in weights.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
    model.load_state_dict(loadable, strict=False)
    momentum_or_state = ("adapters_m.", "kv_m.", "vision_proj_m.", "text_proj_m.", "image_queue", "text_queue", "idx_queue")
    missing = sorted(k for k in own if k not in loadable and not k.startswith(momentum_or_state))
    x = read_safetensors(dirname + "/inputs.safetensors")
    model.eval()
    with torch.inference_mode():
        _, image_feat, _ = model.encode_image(x["pixels"])
        _, text_feat = model.encode_text(x["input_ids"], x["attention_mask"])
        itm = model.itm_logits(x["input_ids"], x["attention_mask"], x["itm_tokens"])
        shared = model.itm_logits(x["input_ids"], x["attention_mask"], x["itm_tokens"][:1])
    print(json.dumps({
        "missing": missing,
        "image_feat": image_feat.flatten().tolist(),
        "text_feat": text_feat.flatten().tolist(),
        "itm_logits": itm.flatten().tolist(),
        "itm_logits_shared": shared.flatten().tolist(),
    }))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--parity":
        return parity(argv[2])
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    arg = argv[1]
    if arg == "--serve":
        return serve()
    if arg == "--parity":
        sys.stderr.write("--parity needs a folder\n")
        return 2
    if arg.startswith("@"):
        with open(arg[1:]) as f:
            spec = json.load(f)
    else:
        spec = json.loads(arg)
    device, gen = setup(spec)
    runner = Runner(device, gen)
    results = {}
    for c in spec["cases"]:
        results[c["id"]] = runner.run(c, spec["models"][c["model"]])
    runner.release()
    answer = versions()
    answer["results"] = results
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
