//! Quantization config (in progress).
