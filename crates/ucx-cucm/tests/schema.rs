//! Every request the client builds validates against the real `AXLSoap.xsd` of its version
//! (`xmllint --schema`; `.ci/run` installs it and sets `UCX_REQUIRE_XMLLINT`). Where xmllint is
//! missing and not required, a
//! structural check runs instead: well-formed XML, the operation in its version's namespace,
//! children in the schema's order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::Event;
use ucx_cucm::AxlVersion;
use ucx_cucm::envelope::{envelope, get_ccm_version, get_user, list_change, list_user, sql};

/// (name, operation element, its expected children in schema order)
fn requests() -> Vec<(&'static str, String, &'static [&'static str])> {
    vec![
        (
            "listUser",
            list_user(0, 1000),
            &["searchCriteria", "returnedTags", "skip", "first"],
        ),
        (
            "listUser-page",
            list_user(123_000, 500),
            &["searchCriteria", "returnedTags", "skip", "first"],
        ),
        (
            "getUser",
            get_user("3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c01"),
            &["uuid", "returnedTags"],
        ),
        (
            "executeSQLQuery",
            sql("SELECT eu.pkid FROM enduser eu WHERE eu.pkid IN ('a') AND x < 3 ]]> y"),
            &["sql"],
        ),
        ("listChange-initial", list_change(None), &["objectList"]),
        (
            "listChange-poll",
            list_change(Some(("Qx7p<L&m>\"2a", 11146))),
            &["startChangeId", "objectList"],
        ),
        ("getCCMVersion", get_ccm_version(), &[]),
    ]
}

/// The Body's child of the envelope as sent, as a document of its own.
fn body_document(version: AxlVersion, operation: &str) -> String {
    let env = envelope(version, operation);
    let start = env.find("<soapenv:Body>").unwrap() + "<soapenv:Body>".len();
    let end = env.find("</soapenv:Body>").unwrap();
    let body = &env[start..end];
    // Declare the namespace on the element itself (it is declared on the envelope when sent).
    let at = body.find([' ', '>', '/']).unwrap();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{} xmlns:ns=\"{}\"{}",
        &body[..at],
        version.namespace(),
        &body[at..]
    )
}

fn schema(version: AxlVersion) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/cucm/schema")
        .join(format!("AXLSoap-{}.xsd.gz", version.as_str()))
}

#[test]
fn requests_validate_against_the_axl_schema() {
    let dir = std::env::temp_dir().join(format!("ucx-cucm-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xmllint = Command::new("xmllint").arg("--version").output().is_ok();
    if !xmllint {
        assert!(
            std::env::var_os("UCX_REQUIRE_XMLLINT").is_none(),
            "UCX_REQUIRE_XMLLINT is set but xmllint is missing (apt-get install libxml2-utils)"
        );
        eprintln!("xmllint not found: running the structural check only");
    }
    for version in AxlVersion::ALL {
        let mut files = Vec::new();
        for (name, op, children) in requests() {
            let doc = body_document(version, &op);
            structural(&doc, version, children, name);
            let file = dir.join(format!("{name}-{}.xml", version.as_str()));
            std::fs::write(&file, doc).unwrap();
            files.push(file);
        }
        if xmllint {
            let out = Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(schema(version))
                .args(&files)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "AXL {} requests do not validate:\n{stderr}",
                version.as_str()
            );
            assert_eq!(
                stderr.matches(" validates").count(),
                files.len(),
                "{stderr}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Well-formed; the root in the version's namespace; its children in schema order.
fn structural(doc: &str, version: AxlVersion, expected: &[&str], name: &str) {
    let mut reader = Reader::from_str(doc);
    let mut depth = 0usize;
    let mut children = Vec::new();
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
        {
            Event::Start(e) => {
                if depth == 0 {
                    let ns = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"xmlns:ns")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                    assert_eq!(ns.as_deref(), Some(version.namespace().as_str()), "{name}");
                }
                if depth == 1 {
                    children.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 1 => {
                children.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{name}: unbalanced");
    assert_eq!(children, expected, "{name}");
}

#[test]
fn sql_text_survives_the_cdata_split() {
    let doc = body_document(AxlVersion::V14_0, &sql("a ]]> b < c & d"));
    let mut reader = Reader::from_str(&doc);
    let mut text = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(text, "a ]]> b < c & d");
}
