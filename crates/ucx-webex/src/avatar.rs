//! Avatars, fetched on demand: within a size cap, and only in the formats the users database
//! stores.

use bytes::Bytes;
use ucx_sync_core::SourceError;

pub use ucx_sync_core::ImageFormat;

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
        let format = ImageFormat::sniff(&bytes).ok_or(AvatarError::UnsupportedFormat)?;
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

/// Fetches Webex avatars for the users database: the `picture` field holds the avatar URL,
/// which changes with the image, so a stored picture is fetched again only when its URL
/// changes.
#[derive(Debug, Clone)]
pub struct WebexPictures {
    pub(crate) client: crate::client::WebexClient,
}

#[async_trait::async_trait]
impl ucx_sync_core::PictureFetcher for WebexPictures {
    async fn fetch(
        &self,
        reference: &str,
        _etag: Option<&str>,
    ) -> Result<ucx_sync_core::Fetched, ucx_sync_core::PictureError> {
        use ucx_sync_core::{Fetched, Picture, PictureError};
        match self.client.avatar(reference).await {
            Ok(a) => Ok(Fetched::Image(Picture {
                format: a.format,
                bytes: a.bytes,
                etag: None,
            })),
            Err(AvatarError::NotFound) => Ok(Fetched::Absent),
            Err(AvatarError::BadUrl) => Err(PictureError::BadReference(reference.to_owned())),
            Err(AvatarError::TooLarge { limit }) => Err(PictureError::TooLarge { limit }),
            Err(AvatarError::UnsupportedFormat) => Err(PictureError::UnsupportedFormat),
            Err(AvatarError::Fetch(e)) => Err(PictureError::Fetch(e)),
        }
    }

    fn concurrency(&self) -> usize {
        self.client.config().lookup_concurrency
    }
}
