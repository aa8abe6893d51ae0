#!/usr/bin/env python3
"""Independent float BERT encoder in numpy, for checking mase-hw's float reference.

Reads a Hugging Face checkpoint directory (config.json, model.safetensors) with its
own safetensors parser, embeds the token ids it is given (word + position +
token-type embeddings, LayerNorm) and runs the first `layers` encoder layers (exact
erf GELU, softmax with the exact 1/sqrt(d) scale, no attention mask), in float64.

usage: float_check.py MODEL_DIR REQUEST.json RESPONSE.json
  REQUEST:  {"ids": [[...], ...], "layers": N}
  RESPONSE: {"embedding": [[...flat...], ...], "output": [[...flat...], ...]}
"""
import json
import math
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F16": np.float16}
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] not in dtypes:
            continue
        lo, hi = t["data_offsets"]
        a = np.frombuffer(data[lo:hi], dtype=dtypes[t["dtype"]]).astype(np.float64)
        key = name[len("bert."):] if name.startswith("bert.") else name
        out[key] = a.reshape(t["shape"])
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


ERF = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + ERF(x / math.sqrt(2.0)))


def encoder(w, cfg, x, layers):
    h, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    d = h // heads
    eps = cfg.get("layer_norm_eps", 1e-12)
    s = x.shape[0]
    act = gelu if cfg.get("hidden_act", "gelu") == "gelu" else (lambda v: np.maximum(v, 0.0))
    for i in range(layers):
        p = f"encoder.layer.{i}."
        lin = lambda v, n: v @ w[p + n + ".weight"].T + w[p + n + ".bias"]
        q = lin(x, "attention.self.query").reshape(s, heads, d).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(s, heads, d).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(s, heads, d).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        scores = scores - scores.max(axis=-1, keepdims=True)
        e = np.exp(scores)
        probs = e / e.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(s, h)
        a = layer_norm(lin(ctx, "attention.output.dense") + x,
                       w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], eps)
        f = lin(act(lin(a, "intermediate.dense")), "output.dense")
        x = layer_norm(f + a, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x


def main():
    model_dir, req_path, resp_path = sys.argv[1:4]
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = read_safetensors(f"{model_dir}/model.safetensors")
    req = json.load(open(req_path))
    eps = cfg.get("layer_norm_eps", 1e-12)
    emb, out = [], []
    for ids in req["ids"]:
        ids = np.array(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][np.arange(len(ids))]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        emb.append(x.reshape(-1).tolist())
        out.append(encoder(w, cfg, x, req["layers"]).reshape(-1).tolist())
    json.dump({"embedding": emb, "output": out}, open(resp_path, "w"))


if __name__ == "__main__":
    main()
