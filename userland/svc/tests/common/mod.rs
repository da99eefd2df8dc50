//! A supervisor in a temporary directory, services written as small shell scripts, and ways to wait.
#![forbid(unsafe_code)]
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long to wait for anything: generous, so that a loaded machine only makes the tests slower.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub const INIT: &str = env!("CARGO_BIN_EXE_init");
pub const SVC: &str = env!("CARGO_BIN_EXE_svc");

pub struct Supervised {
    pub dir: tempfile::TempDir,
    pub child: Option<Child>,
}

impl Supervised {
    /// A directory with `services/` ready for definitions; the supervisor is not started yet.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("svc-")
            .tempdir_in(short_tmp())
            .expect("temp dir");
        std::fs::create_dir(dir.path().join("services")).expect("services dir");
        Self { dir, child: None }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file under the directory (for markers the services write).
    pub fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Writes `services/NAME.toml`.
    pub fn define(&self, name: &str, toml: &str) {
        std::fs::write(
            self.path().join("services").join(format!("{name}.toml")),
            toml,
        )
        .expect("write definition");
    }

    /// A definition running `script` with /bin/sh in the directory, plus `extra` TOML lines.
    pub fn define_sh(&self, name: &str, script: &str, extra: &str) {
        let toml = format!(
            "command = \"/bin/sh\"\nargs = [\"-c\", {}]\nworking_directory = {}\n{extra}\n",
            toml_string(script),
            toml_string(&self.path().display().to_string()),
        );
        self.define(name, &toml);
    }

    pub fn start(&mut self) {
        let stderr = std::fs::File::create(self.file("init.stderr")).expect("stderr file");
        let child = Command::new(INIT)
            .arg("--supervise")
            .arg(self.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn init");
        self.child = Some(child);
        let socket = self.socket();
        wait_for("the control socket", || {
            UnixStream::connect(&socket).is_ok()
        });
    }

    pub fn socket(&self) -> PathBuf {
        self.path().join("run/control.sock")
    }

    /// One request, one reply (JSON).
    pub fn request(&self, request: Value) -> Value {
        let mut stream = UnixStream::connect(self.socket()).expect("connect");
        let mut line = serde_json::to_vec(&request).expect("json");
        line.push(b'\n');
        stream.write_all(&line).expect("send");
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply).expect("reply");
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("bad reply {reply:?}: {e}"))
    }

    /// `status NAME` data (panics on an error reply).
    pub fn status(&self, name: &str) -> Value {
        let reply = self.request(serde_json::json!({"v": 1, "cmd": "status", "name": name}));
        assert_eq!(reply["ok"], true, "status {name}: {reply}");
        reply["data"].clone()
    }

    pub fn state(&self, name: &str) -> String {
        self.status(name)["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn wait_state(&self, name: &str, state: &str) -> Value {
        let mut last = Value::Null;
        let found = wait_until(|| {
            last = self.status(name);
            last["state"] == state
        });
        assert!(
            found,
            "{name} never became {state}; last status {last}\n{}",
            self.init_log()
        );
        last
    }

    /// Runs `svc --dir DIR ARGS`.
    pub fn svc(&self, args: &[&str]) -> Output {
        Command::new(SVC)
            .arg("--dir")
            .arg(self.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run svc")
    }

    pub fn init_log(&self) -> String {
        std::fs::read_to_string(self.file("init.stderr")).unwrap_or_default()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    /// Sends poweroff and waits for init to exit; returns its exit status code.
    pub fn poweroff(&mut self) -> Option<i32> {
        let reply = self.request(serde_json::json!({"v": 1, "cmd": "poweroff"}));
        assert_eq!(reply["ok"], true, "{reply}");
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Some(status) = child.try_wait().expect("wait init") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("init did not exit\n{}", self.init_log());
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM is a poweroff: services are stopped too.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let started = Instant::now();
            while started.elapsed() < PATIENCE {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Unix socket paths are limited to 108 bytes; keep the directory short.
fn short_tmp() -> PathBuf {
    let tmp = std::env::temp_dir();
    if tmp.as_os_str().len() < 40 {
        tmp
    } else {
        PathBuf::from("/tmp")
    }
}

pub fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// Polls `condition` until it holds or PATIENCE passes; returns whether it held.
pub fn wait_until(mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    condition()
}

pub fn wait_for(what: &str, condition: impl FnMut() -> bool) {
    assert!(wait_until(condition), "timed out waiting for {what}");
}

/// Whether a process exists.
pub fn alive(pid: i64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}
