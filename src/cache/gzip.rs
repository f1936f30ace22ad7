//! Gzip for answers that are served many times with a small part that
//! changes: the part that stays is compressed once, and each answer
//! compresses only its own end and splices it on as the last deflate block.
//!
//! A deflate stream is a run of blocks, the last one marked final. The start
//! is compressed with a sync flush (its blocks are not final and end on a
//! byte boundary); the end, a few dozen bytes, follows as a stored block
//! (RFC 1951 §3.2.4: its length, then its bytes as they are), which ends
//! the stream: no compressor is set up per answer, and compressing so few
//! bytes would save next to nothing. The gzip trailer's CRC-32 of the whole
//! is combined from the two parts'.

use crc32fast::Hasher;
use flate2::{Compress, Compression, FlushCompress};

/// The gzip header: deflate, no name, no time, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// The start of a body, compressed.
pub struct CompressedStart {
    deflate: Vec<u8>,
    crc: Hasher,
}

impl CompressedStart {
    /// `start` compressed at gzip's fastest level, as the compression
    /// layer compresses every other response.
    pub fn new(start: &[u8]) -> Option<Self> {
        let mut crc = Hasher::new();
        crc.update(start);
        Some(Self {
            deflate: deflate(start)?,
            crc,
        })
    }

    /// A gzip member of the start followed by `end`.
    pub fn with_end(&self, end: &[u8]) -> Option<Vec<u8>> {
        let tail = stored(end);
        let mut crc = self.crc.clone();
        let mut crc_end = Hasher::new();
        crc_end.update(end);
        crc.combine(&crc_end);
        // ISIZE is the length modulo 2^32.
        let length = (crc.total_len() & u64::from(u32::MAX)) as u32;
        let mut body = Vec::with_capacity(HEADER.len() + self.deflate.len() + tail.len() + 8);
        body.extend_from_slice(&HEADER);
        body.extend_from_slice(&self.deflate);
        body.extend_from_slice(&tail);
        body.extend_from_slice(&crc.finalize().to_le_bytes());
        body.extend_from_slice(&length.to_le_bytes());
        Some(body)
    }
}

/// `input` as stored deflate blocks (at most 65,535 bytes each), the last
/// one final; what precedes them must end on a byte boundary.
fn stored(input: &[u8]) -> Vec<u8> {
    const MAX: usize = u16::MAX as usize;
    let blocks = input.len().div_ceil(MAX).max(1);
    let mut out = Vec::with_capacity(input.len() + 5 * blocks);
    for block in 0..blocks {
        let bytes = &input[block * MAX..input.len().min((block + 1) * MAX)];
        let len = bytes.len() as u16;
        // BFINAL on the last block, BTYPE 00 (stored), padded to the byte.
        out.push(u8::from(block + 1 == blocks));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// Raw deflate of `input`, ending with a sync flush: not final, and on a
/// byte boundary, so that more blocks may follow.
fn deflate(input: &[u8]) -> Option<Vec<u8>> {
    let mut compress = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        let consumed = usize::try_from(compress.total_in()).ok()?;
        compress
            .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
            .ok()?;
        // The flush is complete once every byte is in and the output had
        // room to spare.
        if usize::try_from(compress.total_in()).ok()? == input.len() && out.len() < out.capacity() {
            return Some(out);
        }
        out.reserve(out.capacity().max(64));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;

    fn gunzip(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(body).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_start_compressed_once_takes_any_end() {
        let start: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{{\"n\":{i},\"text\":\"product {}\"}},", i % 97).into_bytes())
            .collect();
        let once = CompressedStart::new(&start).unwrap();
        assert!(once.deflate.len() < start.len() / 4, "it is compressed");
        let long: Vec<u8> = (0..150_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        for end in [
            &b""[..],
            b"}",
            b",\"extensions\":{\"cost\":{\"requested\":12}}}",
            &long[..u16::MAX as usize],
            &long,
        ] {
            let body = once.with_end(end).unwrap();
            assert_eq!(gunzip(&body), [start.as_slice(), end].concat());
        }
    }

    #[test]
    fn an_empty_start_makes_a_valid_member() {
        let once = CompressedStart::new(b"").unwrap();
        assert_eq!(gunzip(&once.with_end(b"{}").unwrap()), b"{}");
    }
}
