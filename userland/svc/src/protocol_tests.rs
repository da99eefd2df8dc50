use super::*;

#[test]
fn requests_round_trip() {
    let request = Request {
        v: VERSION,
        command: Command::Logs {
            name: "web".into(),
            follow: true,
            lines: Some(5),
        },
    };
    let line = serde_json::to_vec(&request).expect("json");
    assert_eq!(
        String::from_utf8_lossy(&line),
        r#"{"v":1,"cmd":"logs","name":"web","follow":true,"lines":5}"#
    );
    assert_eq!(parse_request(&line), Ok(request.command));
    assert_eq!(
        parse_request(br#"{"v":1,"cmd":"boot-report"}"#),
        Ok(Command::BootReport {})
    );
    assert_eq!(
        parse_request(br#"{"cmd":"logs","v":1,"name":"x"}"#),
        Ok(Command::Logs {
            name: "x".into(),
            follow: false,
            lines: None
        })
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let error = |line: &[u8]| parse_request(line).expect_err("rejected");
    assert!(error(b"\x00\x01").contains("not a JSON object"));
    assert!(error(b"42").contains("must be a JSON object"));
    assert!(error(br#"{"cmd":"list"}"#).contains("missing protocol version"));
    assert!(error(br#"{"v":"1","cmd":"list"}"#).contains("unsupported protocol version"));
    assert!(error(br#"{"v":2,"cmd":"list"}"#).contains("unsupported protocol version 2"));
    assert!(error(br#"{"v":1}"#).contains("bad request"));
    assert!(error(br#"{"v":1,"cmd":"nuke"}"#).contains("bad request"));
    assert!(error(br#"{"v":1,"cmd":"list","extra":1}"#).contains("bad request"));
    assert!(error(br#"{"v":1,"cmd":"stop","name":7}"#).contains("bad request"));
}

#[test]
fn replies_are_one_line() {
    let ok = Reply::ok(Some(serde_json::json!({"a": "b\nc"}))).to_line();
    assert_eq!(ok.iter().filter(|&&b| b == b'\n').count(), 1);
    assert!(ok.ends_with(b"\n"));
    let error: Reply = serde_json::from_slice(&Reply::error("no").to_line()).expect("parses");
    assert_eq!(
        (error.ok, error.error.as_deref()),
        (Some(false), Some("no"))
    );
    let log: Reply = serde_json::from_slice(&Reply::log("s", "line").to_line()).expect("parses");
    assert_eq!(
        log.log,
        Some(LogLine {
            service: "s".into(),
            line: "line".into()
        })
    );
}
