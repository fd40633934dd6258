//! WeChat voice notes are AMR-NB, which browsers cannot play: they are
//! decoded here to 8 kHz 16-bit mono WAV, which every browser plays. The
//! decoder is pure Rust; it runs on a blocking thread and a panic inside it
//! is caught, so a hostile file costs one failed request and nothing more.

use codec_core::codecs::amr::nb::decoder::Decoder;
use codec_core::codecs::amr::{storage, AmrFrameType, AmrVariant};

const MAGIC: &[u8] = b"#!AMR\n";
const SAMPLE_RATE: u32 = 8_000;
/// 20 ms frames: ten minutes, far past WeChat's 60 s limit.
const MAX_FRAMES: usize = 30_000;
const FRAME_SAMPLES: usize = 160;

/// True for a single-channel AMR-NB file.
pub fn is_amr(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Decodes an AMR-NB file to a WAV file, or says why it cannot.
pub async fn amr_to_wav(bytes: Vec<u8>) -> Result<Vec<u8>, &'static str> {
    tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| decode(&bytes)).unwrap_or(Err("the recording is damaged"))
    })
    .await
    .unwrap_or(Err("the recording could not be decoded"))
}

fn decode(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    if !is_amr(bytes) {
        return Err("the recording is not AMR");
    }
    let (variant, frames) = storage::read(bytes).map_err(|_| "the recording is damaged")?;
    if variant != AmrVariant::NarrowBand {
        return Err("the recording is wideband AMR");
    }
    if frames.len() > MAX_FRAMES {
        return Err("the recording is too long");
    }
    let mut decoder = Decoder::new();
    let mut samples: Vec<i16> = Vec::with_capacity(frames.len() * FRAME_SAMPLES);
    for frame in &frames {
        let decoded = match frame.frame_type {
            AmrFrameType::Speech(mode) if frame.quality_ok => {
                decoder.decode(mode.index(), &frame.data)
            }
            _ => None,
        };
        // Comfort noise, no data or a damaged frame: silence keeps the timing.
        samples.extend_from_slice(&decoded.unwrap_or([0; FRAME_SAMPLES]));
    }
    Ok(wav(&samples))
}

/// A canonical 44-byte-header PCM WAV file.
fn wav(samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 12.2 kbit/s frame: header byte 0x3c and 31 bytes of speech bits.
    fn amr(frames: usize) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        for frame in 0..frames {
            bytes.push(0x3c);
            bytes.extend((1..32).map(|i| ((frame * 31 + i * 7) % 251) as u8));
        }
        bytes
    }

    #[tokio::test]
    async fn a_voice_note_becomes_a_wav_of_the_same_length() {
        let wav = amr_to_wav(amr(50)).await.expect("decodes");
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        // 50 frames of 20 ms: one second, 8,000 samples of 2 bytes.
        assert_eq!(wav.len(), 44 + 16_000);
        assert!(
            wav[44..].iter().any(|b| *b != 0),
            "speech frames decode to sound, not silence"
        );
    }

    #[tokio::test]
    async fn damaged_or_foreign_files_are_refused_without_a_panic() {
        assert!(amr_to_wav(b"RIFF....WAVE".to_vec()).await.is_err());
        let mut truncated = amr(3);
        truncated.truncate(truncated.len() - 5);
        assert!(amr_to_wav(truncated).await.is_err());
        let mut odd = MAGIC.to_vec();
        odd.extend([0x7c, 1, 2, 3]); // a reserved frame type
        let _ = amr_to_wav(odd).await; // an answer, either way, and no panic
        for seed in 0..200u32 {
            let mut junk = MAGIC.to_vec();
            junk.extend(
                (0..97).map(|i| {
                    (seed.wrapping_mul(2_654_435_761).wrapping_add(i * 40_503) >> 13) as u8
                }),
            );
            let _ = amr_to_wav(junk).await;
        }
    }
}
