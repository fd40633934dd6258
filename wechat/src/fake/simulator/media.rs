//! Small real files for followers to send: a PNG picture any browser shows and
//! an AMR voice note with a valid header, built in code so no assets ship.

use super::FollowerMedia;

const PICTURE_SIZE: usize = 48;
/// AMR-NB 12.2 kbit/s: one header byte and 31 bytes of speech per 20 ms frame.
const AMR_FRAME_HEADER: u8 = 0x3c;
const AMR_FRAME_LEN: usize = 32;

/// A 48×48 PNG: a diagonal gradient between two colours picked by `variant`,
/// so different variants look (and hash) different.
pub fn sample_picture(variant: u32) -> FollowerMedia {
    const PALETTE: [[u8; 3]; 6] = [
        [0xe8, 0x4a, 0x5f],
        [0x2a, 0x9d, 0x8f],
        [0xf4, 0xa2, 0x61],
        [0x26, 0x46, 0x53],
        [0x8a, 0xb1, 0x7d],
        [0x6d, 0x59, 0x7a],
    ];
    let count = PALETTE.len() as u32;
    let from = PALETTE[(variant % count) as usize];
    let to = PALETTE[((variant / count + variant + 1) % count) as usize];
    let mut raw = Vec::with_capacity(PICTURE_SIZE * (1 + 3 * PICTURE_SIZE));
    for y in 0..PICTURE_SIZE {
        raw.push(0); // filter: none
        for x in 0..PICTURE_SIZE {
            let t = (x + y) as u32;
            let span = (2 * (PICTURE_SIZE - 1)) as u32;
            for channel in 0..3 {
                let a = u32::from(from[channel]);
                let b = u32::from(to[channel]);
                raw.push(((a * (span - t) + b * t) / span) as u8);
            }
        }
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(PICTURE_SIZE as u32).to_be_bytes());
    header.extend_from_slice(&(PICTURE_SIZE as u32).to_be_bytes());
    // 8-bit RGB, deflate, no filter method, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    FollowerMedia {
        filename: format!("IMG_{variant:04}.png"),
        content_type: "image/png".to_owned(),
        bytes: png,
    }
}

/// An AMR voice note of about `seconds` (50 frames a second).
pub fn sample_voice(seconds: u32) -> FollowerMedia {
    let frames = seconds.max(1) as usize * 50;
    let mut bytes = b"#!AMR\n".to_vec();
    for frame in 0..frames {
        bytes.push(AMR_FRAME_HEADER);
        // Low-amplitude noise rather than zeros, so the file is not trivially
        // compressible and each frame differs.
        bytes.extend((1..AMR_FRAME_LEN).map(|i| ((frame * 31 + i * 7) % 13) as u8));
    }
    FollowerMedia {
        filename: format!("voice_{seconds}s.amr"),
        content_type: "audio/amr".to_owned(),
        bytes,
    }
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of uncompressed ("stored") deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(u16::MAX as usize).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_checksums_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn pictures_are_pngs_and_differ_by_variant() {
        let one = sample_picture(1);
        assert!(one.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(one.bytes.ends_with(&[0xae, 0x42, 0x60, 0x82]));
        assert_ne!(one.bytes, sample_picture(2).bytes);
    }

    #[test]
    fn voice_notes_carry_the_amr_magic() {
        let voice = sample_voice(2);
        assert!(voice.bytes.starts_with(b"#!AMR\n"));
        assert_eq!(voice.bytes.len(), 6 + 100 * AMR_FRAME_LEN);
    }
}
