//! Users' pictures: the image itself, not its URL (seed 000: "Max 200KBytes", png, jpg, jpeg,
//! bmp). A user's `picture` field holds a reference (a Webex avatar URL, an Entra user id);
//! the bytes are fetched after an apply, checked, and kept in the users database beside the
//! user, so the diff compares short references, not images.

use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::SourceError;
use crate::user::UserId;

/// An image format the users database stores, told from the image's first bytes (not from a
/// header a CDN may get wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// Windows bitmap.
    Bmp,
}

impl ImageFormat {
    /// The format of `bytes`, if it is one of the three.
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(b"BM") && bytes.len() > 14 {
            Some(ImageFormat::Bmp)
        } else {
            None
        }
    }

    /// `png`, `jpeg`, `bmp`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Bmp => "bmp",
        }
    }

    /// The format [`as_str`](Self::as_str) names, for a store reading one back.
    pub fn from_name(name: &str) -> Option<ImageFormat> {
        [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Bmp]
            .into_iter()
            .find(|f| f.as_str() == name)
    }
}

/// A checked image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Its format.
    pub format: ImageFormat,
    /// The image.
    pub bytes: Bytes,
    /// The server's validator, for asking again with `If-None-Match`.
    pub etag: Option<String>,
}

impl Picture {
    /// Checks `bytes` is a PNG, JPEG or BMP image of at most `limit` bytes.
    pub fn checked(
        bytes: Bytes,
        etag: Option<String>,
        limit: usize,
    ) -> Result<Picture, PictureError> {
        if bytes.len() > limit {
            return Err(PictureError::TooLarge { limit });
        }
        let format = ImageFormat::sniff(&bytes).ok_or(PictureError::UnsupportedFormat)?;
        Ok(Picture {
            format,
            bytes,
            etag,
        })
    }
}

/// What a fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The image.
    Image(Picture),
    /// The stored image is current (`304 Not Modified`).
    NotModified,
    /// The user has no picture (any more).
    Absent,
}

/// Why a picture was not stored. The user is still synced; the picture is counted as not
/// applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PictureError {
    /// Larger than the cap.
    #[error("the picture is larger than {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// Not a PNG, JPEG or BMP image.
    #[error("the picture is not a PNG, JPEG or BMP image")]
    UnsupportedFormat,
    /// The reference is not one this source can fetch.
    #[error("the picture reference {0:?} cannot be fetched")]
    BadReference(String),
    /// The fetch failed.
    #[error("fetching the picture failed: {0}")]
    Fetch(#[source] Box<SourceError>),
}

/// Fetches pictures by the reference a user's `picture` field holds.
#[async_trait]
pub trait PictureFetcher: Debug + Send + Sync {
    /// Fetches the picture `reference` names; with `etag`, a server that has nothing newer
    /// answers [`Fetched::NotModified`].
    async fn fetch(&self, reference: &str, etag: Option<&str>) -> Result<Fetched, PictureError>;

    /// Whether a stored picture whose reference has not changed must still be asked for again
    /// (with its ETag): true where the reference is fixed (an Entra user's photo), false where
    /// it changes with the image (Webex avatar URLs carry a version).
    fn revalidates(&self) -> bool {
        false
    }

    /// Fetches in flight at once.
    fn concurrency(&self) -> usize {
        4
    }
}

/// What the users database keeps of a user's picture besides the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureMeta {
    /// The reference it was fetched by.
    pub reference: String,
    /// Its format.
    pub format: ImageFormat,
    /// The server's validator.
    pub etag: Option<String>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: usize,
}

impl PictureMeta {
    /// The record of `picture`, fetched by `reference`.
    pub fn of(reference: &str, picture: &Picture) -> PictureMeta {
        let digest = Sha256::digest(&picture.bytes);
        PictureMeta {
            reference: reference.to_owned(),
            format: picture.format,
            etag: picture.etag.clone(),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            size: picture.bytes.len(),
        }
    }
}

/// The changes one picture pass makes, applied together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PictureChanges {
    /// Pictures to store (replacing any before).
    pub store: Vec<(UserId, PictureMeta, Bytes)>,
    /// Users whose picture is removed.
    pub remove: Vec<UserId>,
}

/// What a picture pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PictureReport {
    /// Pictures fetched and stored.
    pub stored: usize,
    /// Asked again and still current.
    pub unchanged: usize,
    /// Removed (the user has no picture any more).
    pub removed: usize,
    /// Not stored, by user key, with why: counted as not applied.
    pub failed: Vec<(String, String)>,
}

/// The stored pictures' records by user, for a pass to compare with.
pub type PictureIndex = HashMap<UserId, PictureMeta>;
