//! The AXL schema versions spoken, and how a cluster's refusal names the ones it accepts.

use std::fmt;

/// An AXL schema version. The user, SQL and change-notification types the connector sends are
/// identical in all six apart from the namespace (the schema test validates every request
/// against each version's `AXLSoap.xsd`), so one code path serves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum AxlVersion {
    /// CUCM 11.0.
    V11_0,
    /// CUCM 11.5.
    V11_5,
    /// CUCM 12.0.
    V12_0,
    /// CUCM 12.5.
    V12_5,
    /// CUCM 14.0.
    V14_0,
    /// CUCM 15.0.
    V15_0,
}

impl AxlVersion {
    /// Newest first.
    pub const ALL: [AxlVersion; 6] = [
        AxlVersion::V15_0,
        AxlVersion::V14_0,
        AxlVersion::V12_5,
        AxlVersion::V12_0,
        AxlVersion::V11_5,
        AxlVersion::V11_0,
    ];

    /// `11.0`, `11.5`, `12.0`, `12.5`, `14.0`, `15.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            AxlVersion::V11_0 => "11.0",
            AxlVersion::V11_5 => "11.5",
            AxlVersion::V12_0 => "12.0",
            AxlVersion::V12_5 => "12.5",
            AxlVersion::V14_0 => "14.0",
            AxlVersion::V15_0 => "15.0",
        }
    }

    /// The request namespace, `http://www.cisco.com/AXL/API/<v>`.
    pub fn namespace(self) -> String {
        format!("http://www.cisco.com/AXL/API/{}", self.as_str())
    }

    /// The `SOAPAction` header value for `operation` (quotes included).
    pub fn soap_action(self, operation: &str) -> String {
        format!("\"CUCM:DB ver={} {operation}\"", self.as_str())
    }

    /// Parses `11.0` … `15.0`, a bare major (`14`, as `14.0`), and `11.x`/`12.x` (the newest
    /// minor of that major: 11.5, 12.5).
    pub fn parse(text: &str) -> Option<AxlVersion> {
        let t = text.trim().trim_end_matches('.');
        let (major, minor) = t.split_once('.').unwrap_or((t, "0"));
        match (major, minor) {
            ("11", "0") => Some(AxlVersion::V11_0),
            ("11", "5" | "x") => Some(AxlVersion::V11_5),
            ("12", "0") => Some(AxlVersion::V12_0),
            ("12", "5" | "x") => Some(AxlVersion::V12_5),
            ("14", "0" | "x") => Some(AxlVersion::V14_0),
            ("15", "0" | "x") => Some(AxlVersion::V15_0),
            _ => None,
        }
    }

    /// The version to try after a cluster refused `tried` with HTTP 599: the highest version
    /// both we and the cluster support, as its message lists them ("Supported axl versions are
    /// 12.x, 14.0 and 15.0", "Supported axl versions: 11.5,12.5,14"). Without a usable list,
    /// the next older version.
    pub fn fallback(tried: AxlVersion, message: &str) -> Option<AxlVersion> {
        let lower = message.to_ascii_lowercase();
        let Some(at) = lower.find("support") else {
            return AxlVersion::ALL.into_iter().find(|v| *v < tried);
        };
        // Tokens that look like versions ("9.1", "12.x", "14"), whether we speak them or not.
        let named: Vec<&str> = lower[at..]
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'x'))
            .map(|t| t.trim_matches('.'))
            .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        if named.is_empty() {
            return AxlVersion::ALL.into_iter().find(|v| *v < tried);
        }
        // A list, but none of it ours (e.g. only 9.1): nothing to fall back to.
        named
            .into_iter()
            .filter_map(AxlVersion::parse)
            .filter(|v| *v != tried)
            .max()
    }
}

impl fmt::Display for AxlVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
