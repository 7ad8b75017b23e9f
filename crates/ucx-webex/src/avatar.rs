//! Avatars, fetched on demand: within a size cap, and only in the formats the users database
//! stores.

use bytes::Bytes;
use ucx_sync_core::SourceError;

/// An avatar image's format, told from its first bytes (not from a header a CDN may get wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// Windows bitmap.
    Bmp,
}

/// A fetched avatar.
#[derive(Debug, Clone)]
pub struct Avatar {
    /// The format.
    pub format: ImageFormat,
    /// The image.
    pub bytes: Bytes,
}

impl Avatar {
    /// Checks `bytes` is a PNG, JPEG or BMP image.
    pub fn from_bytes(bytes: Bytes) -> Result<Avatar, AvatarError> {
        let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            ImageFormat::Png
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            ImageFormat::Jpeg
        } else if bytes.starts_with(b"BM") && bytes.len() > 14 {
            ImageFormat::Bmp
        } else {
            return Err(AvatarError::UnsupportedFormat);
        };
        Ok(Avatar { format, bytes })
    }
}

/// Why an avatar was not fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AvatarError {
    /// The URL does not parse.
    #[error("the avatar URL does not parse")]
    BadUrl,
    /// The image is larger than the cap.
    #[error("the avatar is larger than {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// Not a PNG, JPEG or BMP image.
    #[error("the avatar is not a PNG, JPEG or BMP image")]
    UnsupportedFormat,
    /// The person has no avatar any more.
    #[error("the avatar was not found")]
    NotFound,
    /// The fetch failed.
    #[error("fetching the avatar failed")]
    Fetch(#[source] Box<SourceError>),
}
