//! Webex ids are opaque base64 strings; they are decoded only to find the Common Identity UUID
//! (or other trailing segment) that joins a record across APIs.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT_CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT_CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT_CONFIG);

/// The parts of a decoded Webex id `ciscospark://<region or cluster>/<TYPE>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebexId {
    /// The type, upper-cased: `PEOPLE`, `PLACE` (also sent as `PLACES`), `HUNT_GROUP`, ...
    pub kind: String,
    /// The trailing segment, lower-cased: the Common Identity UUID for people and places, a
    /// wrapped BroadWorks id for hunt groups and auto attendants.
    pub segment: String,
}

impl WebexId {
    /// Decodes `raw`, whether padded or not, in the standard or URL-safe alphabet, with any case
    /// of the inner UUID. A bare UUID (which some endpoints accept and return) is taken as the
    /// segment of an id of unknown kind. `None` when `raw` is neither.
    ///
    /// ```
    /// use ucx_webex::WebexId;
    /// let id = WebexId::decode("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zMWY2MzAzMy03N2NiLTViNDItODY3My02ZDNlYmRlYWM5ZjA").unwrap();
    /// assert_eq!(id.kind, "PEOPLE");
    /// assert_eq!(id.segment, "31f63033-77cb-5b42-8673-6d3ebdeac9f0");
    /// ```
    pub fn decode(raw: &str) -> Option<WebexId> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let engine = if raw.contains(['-', '_']) {
            &URL_SAFE
        } else {
            &STANDARD
        };
        if let Ok(bytes) = engine.decode(raw)
            && let Ok(text) = std::str::from_utf8(&bytes)
            && let Some(path) = text.strip_prefix("ciscospark://")
        {
            let mut parts = path.rsplit('/');
            let segment = parts.next().filter(|s| !s.is_empty())?;
            let kind = parts.next().filter(|s| !s.is_empty())?;
            let kind = match kind.to_ascii_uppercase().as_str() {
                "PLACES" => "PLACE".to_owned(),
                k => k.to_owned(),
            };
            let segment = if segment.is_ascii() {
                segment.to_ascii_lowercase()
            } else {
                segment.to_lowercase()
            };
            return Some(WebexId { kind, segment });
        }
        if is_uuid(raw) {
            return Some(WebexId {
                kind: String::new(),
                segment: raw.to_ascii_lowercase(),
            });
        }
        None
    }

    /// Encodes `segment` as an id of `kind` in the `us` region, the form `orgId` parameters
    /// take, unpadded as Webex sends them.
    pub fn encode(kind: &str, segment: &str) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(format!("ciscospark://us/{kind}/{segment}"))
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}
