//! Random bytes from the operating system's CSPRNG, for keys, credentials and markers.

use rand::TryRng;
use rand::rngs::SysRng;

/// The OS random source failed; nothing random can be drawn.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

impl RandomError {
    /// The error for a failed draw.
    pub fn new(cause: impl std::fmt::Display) -> Self {
        Self(cause.to_string())
    }
}

/// Fills `buf` from the OS CSPRNG.
pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    SysRng.try_fill_bytes(buf).map_err(RandomError::new)
}

/// `N` random bytes from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    fill(&mut buf)?;
    Ok(buf)
}
