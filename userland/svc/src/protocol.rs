//! The control protocol between `svc` and `init`: one JSON object per line each way (docs/svc-protocol.md).
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// The protocol version; a request with another `v` gets an error reply.
pub const VERSION: u32 = 1;

/// The longest request line accepted; a longer one gets an error reply and the connection is closed.
pub const MAX_REQUEST: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    List {},
    Status {
        name: String,
    },
    Start {
        name: String,
    },
    Stop {
        name: String,
    },
    Restart {
        name: String,
    },
    Logs {
        name: String,
        #[serde(default)]
        follow: bool,
        #[serde(default)]
        lines: Option<usize>,
    },
    Enable {
        name: String,
    },
    Disable {
        name: String,
    },
    Reload {},
    BootReport {},
    Poweroff {},
    Reboot {},
}

/// A request: `{"v":1,"cmd":"status","name":"web"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub command: Command,
}

/// Parses one request line, or says what is wrong with it (the text goes back to the client).
pub fn parse_request(line: &[u8]) -> Result<Command, String> {
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err("a request must be a JSON object".into());
    };
    match object.remove("v") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(VERSION)) => {}
        Some(other) => {
            return Err(format!(
                "unsupported protocol version {other} (this init speaks {VERSION})"
            ))
        }
        None => {
            return Err(format!(
                "missing protocol version field \"v\" (this init speaks {VERSION})"
            ))
        }
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| format!("bad request: {e}"))
}

/// One line of a `logs` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub service: String,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub name: String,
    pub description: String,
    /// inactive, waiting, starting, running, done, stopping, backoff, failed.
    pub state: String,
    pub pid: Option<i32>,
    pub uptime_ms: Option<u64>,
    pub restarts: u32,
    /// Started at boot.
    #[serde(default)]
    pub enabled: bool,
    pub last_exit: Option<String>,
    pub error: Option<String>,
    #[serde(default)]
    pub recent_logs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootEntry {
    pub name: String,
    /// From supervisor start to the first spawn of the service.
    pub started_ms: Option<u64>,
    /// From supervisor start to readiness.
    pub ready_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootReport {
    pub services: Vec<BootEntry>,
    /// The chain of dependencies that ended with the last service to become ready, first to last.
    pub critical_chain: Vec<String>,
}

/// A reply: `{"v":1,"ok":true,"data":…}` or `{"v":1,"ok":false,"error":"…"}`; `logs -f` then sends `{"v":1,"log":{…}}` lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub v: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogLine>,
}

impl Reply {
    pub fn ok(data: Option<serde_json::Value>) -> Self {
        Self {
            v: VERSION,
            ok: Some(true),
            error: None,
            data,
            log: None,
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self {
            v: VERSION,
            ok: Some(false),
            error: Some(message.into()),
            data: None,
            log: None,
        }
    }

    pub fn log(service: &str, line: &str) -> Self {
        Self {
            v: VERSION,
            ok: None,
            error: None,
            data: None,
            log: Some(LogLine {
                service: service.into(),
                line: line.into(),
            }),
        }
    }

    /// The reply as one line, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line =
            serde_json::to_vec(self).unwrap_or_else(|_| b"{\"v\":1,\"ok\":false}".to_vec());
        line.push(b'\n');
        line
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
