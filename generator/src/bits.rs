//! Packing of lanes into bit vectors (32-bit words, least significant first), the
//! layout of Verilator's wide ports and of `.mem` file words: lane `i` of width `W`
//! occupies bits `[i*W, (i+1)*W)`.

use golden::Format;

/// Number of 32-bit words for `bits` bits.
pub fn words_for(bits: u32) -> usize {
    bits.div_ceil(32).max(1) as usize
}

/// Writes `width` (<= 128) bits of `value` at bit offset `lsb` of `words`.
pub fn put(words: &mut [u32], lsb: u32, width: u32, value: u128) {
    let mut done = 0;
    while done < width {
        let bit = lsb + done;
        let (w, off) = ((bit / 32) as usize, bit % 32);
        let take = (32 - off).min(width - done);
        let mask = if take == 32 {
            u32::MAX
        } else {
            (1u32 << take) - 1
        };
        let chunk = ((value >> done) as u32) & mask;
        words[w] = (words[w] & !(mask << off)) | (chunk << off);
        done += take;
    }
}

/// Reads `width` (<= 128) bits at bit offset `lsb` of `words`.
pub fn get(words: &[u32], lsb: u32, width: u32) -> u128 {
    let mut v: u128 = 0;
    let mut done = 0;
    while done < width {
        let bit = lsb + done;
        let (w, off) = ((bit / 32) as usize, bit % 32);
        let take = (32 - off).min(width - done);
        let mask = if take == 32 {
            u32::MAX
        } else {
            (1u32 << take) - 1
        };
        v |= u128::from((words[w] >> off) & mask) << done;
        done += take;
    }
    v
}

/// Packs the raw codes of one beat into words.
pub fn pack(lanes: &[i128], format: Format) -> Vec<u32> {
    let w = format.width();
    let mut words = vec![0u32; words_for(w * lanes.len() as u32)];
    for (i, &raw) in lanes.iter().enumerate() {
        put(&mut words, i as u32 * w, w, format.to_bits(raw));
    }
    words
}

/// Unpacks `lanes` raw codes of `format` from words.
pub fn unpack(words: &[u32], lanes: usize, format: Format) -> Vec<i128> {
    let w = format.width();
    (0..lanes)
        .map(|i| format.from_bits(get(words, i as u32 * w, w)))
        .collect()
}

/// Hex text of the low `bits` bits of `words`, most significant digit first.
pub fn hex(words: &[u32], bits: u32) -> String {
    let digits = bits.div_ceil(4) as usize;
    let mut s = String::with_capacity(digits);
    for d in (0..digits).rev() {
        let nibble = get(words, d as u32 * 4, (bits - d as u32 * 4).min(4));
        s.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
    }
    s
}

/// Two lower-case hex digits per byte value, most significant first.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [digits[i >> 4], digits[i & 15]];
        i += 1;
    }
    t
};

/// Appends the `.mem` text of `words` to `out`: per word one line of the hex of its low
/// `word_width` bits, most significant digit first, lane `i` (a raw code of `format`)
/// at bits `[i*W, (i+1)*W)`. Byte-identical to [`hex`]`(&`[`pack`]`(word, format),
/// word_width)` plus `\n` per word, without allocating per word: lanes are packed into
/// one reused buffer of 64-bit limbs and printed a byte (two digits) at a time from a
/// table.
pub fn write_mem<'a>(
    out: &mut Vec<u8>,
    words: impl IntoIterator<Item = &'a [i128]>,
    format: Format,
    word_width: u32,
) {
    let w = format.width();
    let digits = word_width.div_ceil(4) as usize;
    let mut limbs: Vec<u64> = Vec::new();
    let lane_mask = u64::MAX >> (64 - w.min(64));
    let word_mask = u64::MAX >> (64 - word_width.clamp(1, 64));
    let byte_lanes = w.is_multiple_of(8) && w <= 64;
    for word in words {
        if byte_lanes && word_width as usize == word.len() * w as usize {
            // Whole-byte lanes filling the word exactly: each lane prints as its own
            // bytes, most significant lane and byte first.
            let bytes = (w / 8) as usize;
            out.reserve(word.len() * bytes * 2 + 1);
            for &raw in word.iter().rev() {
                let v = (raw as u64) & lane_mask;
                for b in (0..bytes).rev() {
                    out.extend_from_slice(&HEX_PAIRS[((v >> (8 * b)) & 0xff) as usize]);
                }
            }
            out.push(b'\n');
            continue;
        }
        if word.len() * w as usize <= 64 && word_width <= 64 {
            // Common case: the word fits one u64 (lane i at bits i*W, i*W < 64).
            let mut v = 0u64;
            for (i, &raw) in word.iter().enumerate() {
                v |= ((raw as u64) & lane_mask) << (i * w as usize);
            }
            v &= word_mask;
            let mut line = [b'\n'; 17];
            let mut at = 16;
            for _ in 0..digits / 2 {
                at -= 2;
                line[at..at + 2].copy_from_slice(&HEX_PAIRS[(v & 0xff) as usize]);
                v >>= 8;
            }
            if digits % 2 == 1 {
                at -= 1;
                line[at] = HEX_PAIRS[(v & 0xf) as usize][1];
            }
            out.extend_from_slice(&line[at..]);
            continue;
        }
        let bits = (w as usize * word.len()).max(word_width as usize);
        limbs.clear();
        limbs.resize(bits.div_ceil(64).max(1), 0);
        for (i, &raw) in word.iter().enumerate() {
            let (mut v, mut pos, mut left) = (format.to_bits(raw), i * w as usize, w);
            while left > 0 {
                let (k, sh) = (pos / 64, pos % 64);
                let take = (64 - sh as u32).min(left);
                limbs[k] |= ((v as u64) & (u64::MAX >> (64 - take))) << sh;
                v = v.checked_shr(take).unwrap_or(0);
                pos += take as usize;
                left -= take;
            }
        }
        // Clear the bits at and above `word_width`.
        let (k, sh) = (word_width as usize / 64, word_width % 64);
        if k < limbs.len() {
            limbs[k] &= (1u64 << sh) - 1;
            limbs[k + 1..].iter_mut().for_each(|l| *l = 0);
        }
        let start = out.len();
        out.resize(start + digits + 1, b'\n');
        let line = &mut out[start..start + digits];
        let byte = |j: usize| (limbs[j / 8] >> (8 * (j % 8))) as u8 as usize;
        // Byte j holds digits 2j (low) and 2j + 1; digit d sits at line[digits - 1 - d].
        for j in 0..digits / 2 {
            let at = digits - 2 - 2 * j;
            line[at..at + 2].copy_from_slice(&HEX_PAIRS[byte(j)]);
        }
        if digits % 2 == 1 {
            line[0] = HEX_PAIRS[byte(digits / 2)][1];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_roundtrip_across_word_boundaries() {
        let f = Format::signed(13, 0).unwrap();
        let lanes: Vec<i128> = vec![-4096, 4095, 0, -1, 1234, -77, 5, 3000];
        let words = pack(&lanes, f);
        assert_eq!(words.len(), 4);
        assert_eq!(unpack(&words, lanes.len(), f), lanes);
        let g = Format::unsigned(100, 0).unwrap();
        let big = vec![(1i128 << 99) + 12345, 7];
        assert_eq!(unpack(&pack(&big, g), 2, g), big);
    }

    #[test]
    fn hex_is_msb_first_and_sized() {
        let f = Format::unsigned(4, 0).unwrap();
        assert_eq!(hex(&pack(&[0xa, 0x3, 0x1], f), 12), "13a");
        let g = Format::signed(3, 0).unwrap();
        assert_eq!(hex(&pack(&[-1, 0], g), 6), "07");
    }
    #[test]
    fn write_mem_matches_pack_and_hex() {
        // A small LCG: deterministic random lanes without another dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (u128::from(state) << 64) | u128::from(state.rotate_left(29))
        };
        for width in [1, 2, 7, 8, 13, 16, 31, 32, 33, 64, 65, 100, 128] {
            for signed in [true, false] {
                let Ok(f) = Format::new(width, 0, signed) else {
                    continue; // unsigned 128 bits does not exist
                };
                for lanes in [1, 2, 3, 5, 8, 16] {
                    let full = width * lanes as u32;
                    // Word widths: exactly the lanes, and fewer bits than the lanes hold
                    // (the top digit is masked) when that is still inside the packing.
                    for word_width in [full, full.saturating_sub(3).max(1)] {
                        let words: Vec<Vec<i128>> = (0..20)
                            .map(|_| (0..lanes).map(|_| f.from_bits(next())).collect())
                            .collect();
                        let mut want = String::new();
                        for w in &words {
                            want.push_str(&hex(&pack(w, f), word_width));
                            want.push('\n');
                        }
                        let mut got = Vec::new();
                        write_mem(&mut got, words.iter().map(Vec::as_slice), f, word_width);
                        assert_eq!(
                            String::from_utf8(got).unwrap(),
                            want,
                            "{f} × {lanes}, {word_width} bits"
                        );
                    }
                }
            }
        }
        // Extremes of a signed format and an empty file.
        let f = Format::signed(13, 0).unwrap();
        let words = [vec![f.min_raw(), f.max_raw(), -1, 0]];
        let mut got = Vec::new();
        write_mem(&mut got, words.iter().map(Vec::as_slice), f, 52);
        assert_eq!(got, b"0007ffdfff000\n"); // 0x1000, 0xfff << 13, 0x1fff << 26, 0 << 39
        let mut empty = Vec::new();
        write_mem(&mut empty, std::iter::empty(), f, 52);
        assert!(empty.is_empty());
    }
}
