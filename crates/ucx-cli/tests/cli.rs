//! The `ucx-sync` binary, driven as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;

fn ucx() -> Command {
    Command::cargo_bin("ucx-sync").unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = ucx().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn parse_prints_the_sexpr() {
    let (code, out, err) = run(&["filter", "parse", "(o=univ*of*mich*)"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "(substr o \"univ\" [\"of\" \"mich\"] nil)\n", "")
    );
    let (code, out, _) = run(&["filter", "parse", "(:DN:2.4.6.8.10:=Dino)"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "(ext nil 2.4.6.8.10 true \"Dino\")\n")
    );
}

#[test]
fn parse_error_shows_a_caret_and_exits_2() {
    let (code, out, err) = run(&["filter", "parse", "(&(department=Sales)(location=NYC)"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "invalid filter: unbalanced parenthesis: 1 '(' is never closed at byte 34"
    );
    assert_eq!(lines[1], "  (&(department=Sales)(location=NYC)");
    assert_eq!(lines[2], format!("  {}^", " ".repeat(34)));
    assert!(err.contains("hint: add 1 ')'"), "{err}");
}

#[test]
fn parse_json() {
    let (code, out, _) = run(&["filter", "parse", "--json", "(a=b*)"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["sexpr"], "(substr a \"b\" [] nil)");
    assert_eq!(v["canonical"], "(a=b*)");
    assert!(v["error"].is_null());
    assert!(out.starts_with("{\"valid\":true,\"sexpr\":"), "{out}");

    let (code, out, err) = run(&["filter", "parse", "--json", "(cn>=a*)"]);
    assert_eq!((code, err.as_str()), (2, ""));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["sexpr"].is_null());
    assert_eq!(v["error"]["offset"], 6);
    assert_eq!(
        v["error"]["message"],
        "'*' must be written \\2a inside a '>=' value"
    );
}

#[test]
fn lenient_flag() {
    assert_eq!(run(&["filter", "parse", "department=Sales"]).0, 2);
    let (code, out, _) = run(&["filter", "parse", "--lenient", " department = Sales "]);
    assert_eq!((code, out.as_str()), (0, "(eq department \"Sales\")\n"));
    assert_eq!(run(&["filter", "parse", "--lenient", "(&)"]).1, "(and)\n");
}

#[test]
fn schema_validation_says_invalid_ldap_filters() {
    let (code, _, err) = run(&["filter", "parse", "--schema", "webex", "(title=x)"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("Invalid LDAP filters: unknown field 'title'"),
        "{err}"
    );
    let (code, _, _) = run(&[
        "filter",
        "parse",
        "--schema",
        "entra",
        "(officeLocation=HQ)",
    ]);
    assert_eq!(code, 0);
    let (code, out, _) = run(&[
        "filter",
        "parse",
        "--json",
        "--schema",
        "webex",
        "(UserType=room)",
    ]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["sexpr"], "(eq UserType \"room\")");
}

#[test]
fn test_evaluates_a_record() {
    let rec = r#"{"department":["Sales"],"location":"nyc","phoneNumber":["+1 (555) 456-0001"]}"#;
    let (code, out, _) = run(&[
        "filter",
        "test",
        "(&(department=sales)(location=NYC))",
        "--record",
        rec,
    ]);
    assert_eq!((code, out.as_str()), (0, "true\n"));
    let (code, out, _) = run(&["filter", "test", "(department=Marketing)", "--record", rec]);
    assert_eq!((code, out.as_str()), (0, "false\n"));
    let (_, out, _) = run(&[
        "filter",
        "test",
        "--schema",
        "webex",
        "(phoneNumber=+1555456*)",
        "--record",
        rec,
    ]);
    assert_eq!(out, "true\n");
    let (_, out, _) = run(&["filter", "test", "(!(title=*))", "--record", rec]);
    assert_eq!(out, "true\n");
}

#[test]
fn test_reads_a_record_file() {
    let dir = std::env::temp_dir().join(format!("ucx-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("record.json");
    std::fs::write(
        &path,
        r#"{"email": "ann@company.com", "n": 5, "b": true, "z": null}"#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let (code, out, _) = run(&[
        "filter",
        "test",
        "(&(email=*@company.com)(n=5)(b=TRUE)(!(z=*)))",
        "--record-file",
        p,
    ]);
    assert_eq!((code, out.as_str()), (0, "true\n"));
    let (code, _, err) = run(&[
        "filter",
        "test",
        "(a=b)",
        "--record-file",
        "/nonexistent/rec.json",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read record file"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn test_rejects_bad_input() {
    let (code, _, err) = run(&["filter", "test", "(a=b", "--record", "{}"]);
    assert_eq!(code, 2);
    assert!(err.contains("unbalanced"), "{err}");
    let (code, _, err) = run(&["filter", "test", "(a=b)", "--record", "[1]"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid record: expected a JSON object"),
        "{err}"
    );
    let (code, _, err) = run(&["filter", "test", "(a=b)", "--record", "{\"a\":{\"x\":1}}"]);
    assert_eq!(code, 2);
    assert!(err.contains("attribute 'a' must be"), "{err}");
    let (code, _, err) = run(&["filter", "test", "(a=b)", "--record", "{not json"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid record"), "{err}");
    let (code, _, err) = run(&["filter", "test", "(cn:1.2.3:=x)", "--record", "{}"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Invalid LDAP filters: matching rule '1.2.3' is not supported"),
        "{err}"
    );
    let (code, _, _) = run(&["filter", "test", "(a=b)"]);
    assert_eq!(code, 2, "a record is required");
}
