//! The framing of an inter-FPGA link (`link_tx` / `link_rx`): how a stream of
//! `beat_bits`-bit lane blocks is carried in `word_bits`-bit link words, and back.
//!
//! A beat no wider than a word is packed `word_bits / beat_bits` to a word (beat `j` in
//! bits `[j·beat_bits, (j+1)·beat_bits)`); the last word of an item (`item_beats`
//! beats) holds what is left and zeros above it. A wider beat is split into
//! `⌈beat_bits / word_bits⌉` words, least significant first, the last zero-padded. No
//! header bits exist: both ends know the parameters. Bits are `bool`s, least
//! significant first (a reference model, not a fast path).

/// Beats per word (packing) and words per beat (splitting); one of them is 1.
pub fn pack_split(beat_bits: usize, word_bits: usize) -> (usize, usize) {
    if beat_bits <= word_bits {
        (word_bits / beat_bits.max(1), 1)
    } else {
        (1, beat_bits.div_ceil(word_bits.max(1)))
    }
}

/// Link words per item of `item_beats` beats.
pub fn words_per_item(beat_bits: usize, word_bits: usize, item_beats: usize) -> usize {
    let (pack, split) = pack_split(beat_bits, word_bits);
    item_beats.div_ceil(pack) * split
}

/// The words carrying `beats` (a whole number of items).
pub fn frame(
    beats: &[Vec<bool>],
    beat_bits: usize,
    word_bits: usize,
    item_beats: usize,
) -> Vec<Vec<bool>> {
    let (pack, split) = pack_split(beat_bits, word_bits);
    let mut words = Vec::new();
    for item in beats.chunks(item_beats.max(1)) {
        if split > 1 {
            for b in item {
                for i in 0..split {
                    let mut w = vec![false; word_bits];
                    for (k, bit) in w.iter_mut().enumerate() {
                        *bit = b.get(i * word_bits + k).copied().unwrap_or(false);
                    }
                    words.push(w);
                }
            }
        } else {
            for group in item.chunks(pack) {
                let mut w = vec![false; word_bits];
                for (j, b) in group.iter().enumerate() {
                    w[j * beat_bits..(j + 1) * beat_bits].copy_from_slice(&b[..beat_bits]);
                }
                words.push(w);
            }
        }
    }
    words
}

/// The beats carried by `words` (the inverse of [`frame`]).
pub fn unframe(
    words: &[Vec<bool>],
    beat_bits: usize,
    word_bits: usize,
    item_beats: usize,
) -> Vec<Vec<bool>> {
    let (pack, split) = pack_split(beat_bits, word_bits);
    let mut beats = Vec::new();
    if split > 1 {
        for group in words.chunks(split) {
            let bits: Vec<bool> = group.iter().flatten().copied().collect();
            beats.push(bits[..beat_bits].to_vec());
        }
        return beats;
    }
    let per_item = item_beats.div_ceil(pack);
    for item in words.chunks(per_item.max(1)) {
        let mut left = item_beats;
        for w in item {
            for j in 0..pack.min(left) {
                beats.push(w[j * beat_bits..(j + 1) * beat_bits].to_vec());
            }
            left -= pack.min(left);
        }
    }
    beats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(v: u64, n: usize) -> Vec<bool> {
        (0..n).map(|i| i < 64 && (v >> i) & 1 == 1).collect()
    }

    #[test]
    fn packs_beats_low_first_and_pads_the_last_word_of_an_item() {
        // Three 24-bit beats per item, two per 64-bit word.
        let beats: Vec<Vec<bool>> = [0xAAAAAA, 0xBBBBBB, 0xCCCCCC]
            .iter()
            .map(|&v| bits(v, 24))
            .collect();
        let w = frame(&beats, 24, 64, 3);
        assert_eq!(w.len(), words_per_item(24, 64, 3));
        assert_eq!(w, vec![bits(0xBBBBBB_AAAAAA, 64), bits(0xCCCCCC, 64)]);
        assert_eq!(unframe(&w, 24, 64, 3), beats);
    }

    #[test]
    fn splits_wide_beats_and_round_trips() {
        for (beat, word, item) in [
            (100, 64, 3),
            (64, 64, 5),
            (1, 64, 70),
            (13, 16, 4),
            (130, 64, 1),
        ] {
            let beats: Vec<Vec<bool>> = (0..item * 2)
                .map(|i| (0..beat).map(|k| (i * 7 + k * 3) % 5 < 2).collect())
                .collect();
            let w = frame(&beats, beat, word, item);
            assert_eq!(
                w.len(),
                2 * words_per_item(beat, word, item),
                "{beat} {word}"
            );
            assert!(w.iter().all(|x| x.len() == word));
            assert_eq!(unframe(&w, beat, word, item), beats, "{beat} {word} {item}");
        }
    }
}
