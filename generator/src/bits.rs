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
}
