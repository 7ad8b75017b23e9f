//! AXL responses read by local name, in one streaming pass: element order, unknown elements,
//! namespace prefixes and empty elements do not matter, because CUCM's answers follow neither
//! its schema's order nor a fixed prefix. Documents with a DTD are refused (no entity tricks).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// One record of a listing (`return/user`, `return/row`, `changes/change`): its attributes and
/// the text of its descendants by path (`primaryExtension/pattern`; repeated paths repeat).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Flat {
    pub attrs: Vec<(String, String)>,
    pub fields: Vec<(String, String)>,
}

/// The value under `key` (exact spelling first, then any case).
fn lookup<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .or_else(|| pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
        .map(|(_, v)| v.as_str())
}

impl Flat {
    pub(crate) fn get(&self, path: &str) -> Option<&str> {
        lookup(&self.fields, path)
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        lookup(&self.attrs, name)
    }
}

/// A SOAP fault, with AXL's detail when present.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub faultstring: Option<String>,
    pub axlcode: Option<String>,
    pub axlmessage: Option<String>,
}

/// What a response held.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The records.
    pub records: Vec<Flat>,
    /// Text outside records, by path below the response element (`queueInfo/queueId`).
    pub other: Vec<(String, String)>,
}

impl Scan {
    pub(crate) fn other(&self, path: &str) -> Option<&str> {
        lookup(&self.other, path)
    }
}

/// The SOAP fault in `xml`, if it holds one (error answers are read only for it).
pub(crate) fn fault(xml: &[u8]) -> Option<Fault> {
    // No element has an empty name, so only a fault can end this scan early.
    match scan(xml, "", "", "") {
        Err(ParseFailure::Fault(f)) => Some(f),
        _ => None,
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseFailure {
    /// Not well-formed, a DTD, or not the expected response.
    Malformed(String),
    /// A SOAP fault.
    Fault(Fault),
}

fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn attrs_of(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, ParseFailure> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| ParseFailure::Malformed(err.to_string()))?;
        let key = String::from_utf8_lossy(local(a.key.as_ref())).into_owned();
        if key.starts_with("xmlns") || a.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = a
            .unescape_value()
            .map_err(|err| ParseFailure::Malformed(err.to_string()))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

/// Scans a response for `response` (the operation's response element, such as
/// `listUserResponse`), collecting every `record` element found directly under `parent`.
pub(crate) fn scan(
    xml: &[u8],
    response: &str,
    parent: &str,
    record: &str,
) -> Result<Scan, ParseFailure> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let malformed = |r: &Reader<&[u8]>, e: &dyn std::fmt::Display| {
        ParseFailure::Malformed(format!("at byte {}: {e}", r.buffer_position()))
    };
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut out = Scan::default();
    // Depth of the response element and of the current record, when inside them.
    let mut response_depth: Option<usize> = None;
    let mut record_depth: Option<usize> = None;
    let mut current = Flat::default();
    let mut fault: Option<(usize, Fault)> = None;
    loop {
        let event = reader.read_event().map_err(|e| malformed(&reader, &e))?;
        match event {
            Event::DocType(_) => {
                return Err(ParseFailure::Malformed(
                    "the answer declares a DTD; refused".into(),
                ));
            }
            Event::Start(e) => {
                let name = local(e.name().as_ref()).to_vec();
                let depth = stack.len();
                if response_depth.is_none() && name.eq_ignore_ascii_case(response.as_bytes()) {
                    response_depth = Some(depth);
                } else if fault.is_none() && name == b"Fault" {
                    fault = Some((depth, Fault::default()));
                } else if record_depth.is_none()
                    && response_depth.is_some()
                    && name == record.as_bytes()
                    && stack.last().is_some_and(|p| p == parent.as_bytes())
                {
                    record_depth = Some(depth);
                    current = Flat {
                        attrs: attrs_of(&e)?,
                        fields: Vec::new(),
                    };
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let qname = e.name();
                let name = local(qname.as_ref());
                if record_depth.is_none()
                    && response_depth.is_some()
                    && name == record.as_bytes()
                    && stack.last().is_some_and(|p| p == parent.as_bytes())
                {
                    out.records.push(Flat {
                        attrs: attrs_of(&e)?,
                        fields: Vec::new(),
                    });
                } else if response_depth.is_none() && name.eq_ignore_ascii_case(response.as_bytes())
                {
                    // An empty response element (`<ns:getCCMVersionResponse/>`).
                    response_depth = Some(stack.len());
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| malformed(&reader, &e))?;
                text_at(
                    &stack,
                    &text,
                    record_depth,
                    response_depth,
                    &mut current,
                    &mut out,
                    &mut fault,
                );
            }
            Event::CData(c) => {
                let text = String::from_utf8_lossy(&c);
                text_at(
                    &stack,
                    &text,
                    record_depth,
                    response_depth,
                    &mut current,
                    &mut out,
                    &mut fault,
                );
            }
            Event::End(_) => {
                stack.pop();
                let depth = stack.len();
                if record_depth == Some(depth) {
                    record_depth = None;
                    out.records.push(std::mem::take(&mut current));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(ParseFailure::Malformed(
            "the answer ends before its elements close".into(),
        ));
    }
    if let Some((_, f)) = fault {
        return Err(ParseFailure::Fault(f));
    }
    if response_depth.is_none() {
        return Err(ParseFailure::Malformed(format!(
            "no {response} in the answer"
        )));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn text_at(
    stack: &[Vec<u8>],
    text: &str,
    record_depth: Option<usize>,
    response_depth: Option<usize>,
    current: &mut Flat,
    out: &mut Scan,
    fault: &mut Option<(usize, Fault)>,
) {
    if let Some((_, f)) = fault {
        let slot = match stack.last().map(Vec::as_slice) {
            Some(b"faultstring") => &mut f.faultstring,
            Some(b"axlcode") => &mut f.axlcode,
            Some(b"axlmessage") => &mut f.axlmessage,
            _ => return,
        };
        *slot = Some(text.to_owned());
        return;
    }
    let path = |from: usize| {
        let segs = &stack[from..];
        let mut p = String::with_capacity(segs.iter().map(|s| s.len() + 1).sum());
        for (i, seg) in segs.iter().enumerate() {
            if i > 0 {
                p.push('/');
            }
            p.push_str(&String::from_utf8_lossy(seg));
        }
        p
    };
    if let Some(d) = record_depth {
        if stack.len() > d + 1 {
            current.fields.push((path(d + 1), text.to_owned()));
        }
    } else if let Some(d) = response_depth
        && stack.len() > d + 1
    {
        out.other.push((path(d + 1), text.to_owned()));
    }
}
