//! `svc`: drives init over its control socket.
//!
//! Exit status: 0 done; 1 init answered with an error (or a service is not running, for `status`);
//! 2 usage error; 3 init cannot be reached.
#![forbid(unsafe_code)]

use basalt_svc::protocol::{BootReport, Command, Reply, Request, ServiceStatus, VERSION};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: svc [--socket PATH | --dir DIR] [--no-wait] COMMAND

commands:
  list                 every loaded service and its state
  status NAME          state, pid, uptime, restarts, last exit, recent log lines
  start NAME           start NAME and what it requires and wants; waits until it is ready
  stop NAME            stop NAME (and what requires it), in reverse dependency order; waits until it stopped
  restart NAME         stop NAME, then start it again; waits until it is ready
  enable NAME          start NAME at boot (also a template instance: getty@ttyS1); does not start it now
  disable NAME         do not start NAME at boot; does not stop it now
  logs NAME [-f] [-n N]  recent output of NAME; -f keeps following it
  reload               re-read the definitions and apply the differences
  boot-report          when each service started and became ready, and the critical chain
  poweroff | reboot    stop everything in order, then power off or reboot
                       (init --supervise: stop everything and exit)
  notify READY=1 ...   from inside a service: send the lines to $NOTIFY_SOCKET (like systemd-notify)

The socket is --socket PATH, else $SVC_SOCKET, else DIR/run/control.sock for --dir DIR or $SVC_DIR
(an `init --supervise DIR`), else /run/basalt/control.sock.
--no-wait: start, stop and restart return once init has taken the request (otherwise they wait, at most
90 s, for the service to be ready or stopped, and fail if it fails).

exit status: 0 done, 1 init reported an error, 2 usage error, 3 init cannot be reached";

const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_UNREACHABLE: u8 = 3;

fn usage_error(message: &str) -> ExitCode {
    eprintln!("svc: {message}\n\n{USAGE}");
    ExitCode::from(EXIT_USAGE)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut socket = std::env::var_os("SVC_SOCKET").map(PathBuf::from);
    let mut dir = std::env::var_os("SVC_DIR").map(PathBuf::from);
    let mut wait = true;
    while let Some(first) = args.first().cloned() {
        match first.as_str() {
            "--no-wait" => {
                wait = false;
                args.remove(0);
                continue;
            }
            "--socket" | "--dir" if args.len() < 2 => {
                return usage_error(&format!("{first} needs a value"))
            }
            "--socket" => socket = Some(PathBuf::from(&args[1])),
            "--dir" => dir = Some(PathBuf::from(&args[1])),
            "--help" | "-h" | "help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => break,
        }
        args.drain(..2);
    }
    if args.first().map(String::as_str) == Some("notify") {
        return notify(&args[1..]);
    }
    let socket = socket
        .or_else(|| dir.map(|d| d.join("run/control.sock")))
        .unwrap_or_else(|| PathBuf::from("/run/basalt/control.sock"));
    let command = match parse_command(&args) {
        Ok(command) => command,
        Err(message) => return usage_error(&message),
    };
    let waited_for = match &command {
        Command::Start { name } | Command::Restart { name } => Some((name.clone(), Goal::Ready)),
        Command::Stop { name } => Some((name.clone(), Goal::Stopped)),
        _ => None,
    };
    let code = run(&socket, command);
    match waited_for {
        Some((name, goal)) if wait && code == ExitCode::SUCCESS => wait_for(&socket, &name, goal),
        _ => code,
    }
}

/// What `start`/`restart` and `stop` wait for.
#[derive(Clone, Copy, PartialEq)]
enum Goal {
    Ready,
    Stopped,
}

/// How long `start`, `stop` and `restart` wait (systemd's default start timeout).
const WAIT_LIMIT: Duration = Duration::from_secs(90);

/// Polls the service's state until it reaches `goal` (0), fails (1) or the limit passes (1).
fn wait_for(socket: &std::path::Path, name: &str, goal: Goal) -> ExitCode {
    let deadline = Instant::now() + WAIT_LIMIT;
    let mut pause = Duration::from_millis(5);
    loop {
        let status = match query(
            socket,
            Command::Status {
                name: name.to_string(),
            },
        ) {
            Ok(data) => serde_json::from_value::<ServiceStatus>(data).ok(),
            Err(code) => return code,
        };
        let Some(status) = status else {
            eprintln!("svc: bad status reply from init for {name}");
            return ExitCode::from(EXIT_ERROR);
        };
        let state = status.state.as_str();
        let reached = match goal {
            Goal::Ready => matches!(state, "running" | "done"),
            Goal::Stopped => matches!(state, "inactive" | "done" | "failed"),
        };
        if reached {
            return ExitCode::SUCCESS;
        }
        if goal == Goal::Ready && matches!(state, "failed" | "backoff") {
            let why = status
                .error
                .or(status.last_exit)
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            eprintln!("svc: {name} did not start ({state}){why}; see `svc status {name}`");
            return ExitCode::from(EXIT_ERROR);
        }
        if Instant::now() >= deadline {
            eprintln!(
                "svc: {name} is still {state} after {} s; see `svc status {name}`",
                WAIT_LIMIT.as_secs()
            );
            return ExitCode::from(EXIT_ERROR);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// One request whose answer is data; errors are printed and become the exit code.
fn query(socket: &std::path::Path, command: Command) -> Result<serde_json::Value, ExitCode> {
    exchange(socket, command).map(|(data, _)| data)
}

/// Sends one request; its reply's data and the connection (`logs -f` goes on reading it). Errors are printed
/// and become the exit code.
fn exchange(
    socket: &std::path::Path,
    command: Command,
) -> Result<(serde_json::Value, BufReader<UnixStream>), ExitCode> {
    let mut stream = UnixStream::connect(socket).map_err(|error| {
        eprintln!(
            "svc: cannot reach init at {}: {error}\n(is init running? for `init --supervise DIR` use --dir DIR or SVC_DIR)",
            socket.display()
        );
        ExitCode::from(EXIT_UNREACHABLE)
    })?;
    let mut line = serde_json::to_vec(&Request {
        v: VERSION,
        command,
    })
    .unwrap_or_default();
    line.push(b'\n');
    stream.write_all(&line).map_err(|error| {
        eprintln!("svc: cannot send to init at {}: {error}", socket.display());
        ExitCode::from(EXIT_UNREACHABLE)
    })?;
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader).map_err(|message| {
        eprintln!("svc: {message}");
        ExitCode::from(EXIT_UNREACHABLE)
    })?;
    if reply.ok != Some(true) {
        eprintln!(
            "svc: {}",
            reply
                .error
                .unwrap_or_else(|| "init refused the request".into())
        );
        return Err(ExitCode::from(EXIT_ERROR));
    }
    Ok((reply.data.unwrap_or(serde_json::Value::Null), reader))
}

/// `svc notify READY=1`: the systemd notification protocol, for services that are shell scripts.
fn notify(lines: &[String]) -> ExitCode {
    if lines.is_empty() || lines.iter().any(|l| !l.contains('=')) {
        return usage_error("notify needs VARIABLE=VALUE lines, e.g. READY=1");
    }
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        eprintln!("svc: NOTIFY_SOCKET is not set (is this a service of type notify?)");
        return ExitCode::from(EXIT_UNREACHABLE);
    };
    let sent = std::os::unix::net::UnixDatagram::unbound()
        .and_then(|socket| socket.send_to(lines.join("\n").as_bytes(), &path));
    match sent {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "svc: cannot send to {}: {error}",
                PathBuf::from(path).display()
            );
            ExitCode::from(EXIT_UNREACHABLE)
        }
    }
}

fn parse_command(args: &[String]) -> Result<Command, String> {
    let name = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or_else(|| format!("{} needs a service name", args[0]))
    };
    let Some(verb) = args.first() else {
        return Err("no command".into());
    };
    let command = match verb.as_str() {
        "list" => Command::List {},
        "status" => Command::Status { name: name(1)? },
        "start" => Command::Start { name: name(1)? },
        "stop" => Command::Stop { name: name(1)? },
        "restart" => Command::Restart { name: name(1)? },
        "enable" => Command::Enable { name: name(1)? },
        "disable" => Command::Disable { name: name(1)? },
        "logs" => {
            let mut follow = false;
            let mut lines = None;
            let mut service = None;
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "-f" | "--follow" => follow = true,
                    "-n" | "--lines" => {
                        let n = rest.next().ok_or("-n needs a number")?;
                        lines = Some(
                            n.parse()
                                .map_err(|_| format!("-n: `{n}` is not a number"))?,
                        );
                    }
                    other if service.is_none() => service = Some(other.to_string()),
                    other => return Err(format!("unexpected argument `{other}`")),
                }
            }
            Command::Logs {
                name: service.ok_or("logs needs a service name")?,
                follow,
                lines,
            }
        }
        "reload" => Command::Reload {},
        "boot-report" => Command::BootReport {},
        "poweroff" => Command::Poweroff {},
        "reboot" => Command::Reboot {},
        other => return Err(format!("unknown command `{other}`")),
    };
    let expected = match &command {
        Command::List {}
        | Command::Reload {}
        | Command::BootReport {}
        | Command::Poweroff {}
        | Command::Reboot {} => 1,
        Command::Logs { .. } => args.len(),
        _ => 2,
    };
    if args.len() > expected {
        return Err(format!("unexpected argument `{}`", args[expected]));
    }
    Ok(command)
}

fn run(socket: &std::path::Path, command: Command) -> ExitCode {
    let (data, mut reader) = match exchange(socket, command.clone()) {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    match command {
        Command::List {} => print_list(&data),
        Command::Status { .. } => return print_status(&data),
        Command::Logs { follow, .. } => {
            for line in data
                .get("lines")
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
            {
                println!("{}", line.as_str().unwrap_or_default());
            }
            if follow {
                return follow_logs(&mut reader);
            }
        }
        Command::Reload {} => {
            for key in ["added", "removed", "changed"] {
                let names: Vec<&str> = data
                    .get(key)
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .collect();
                if !names.is_empty() {
                    println!("{key}: {}", names.join(" "));
                }
            }
        }
        Command::BootReport {} => print_boot_report(&data),
        _ => {}
    }
    ExitCode::SUCCESS
}

fn read_reply(reader: &mut BufReader<UnixStream>) -> Result<Reply, String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => Err("init closed the connection without replying".into()),
        Ok(_) => serde_json::from_str(&line).map_err(|e| format!("bad reply from init: {e}")),
        Err(error) => Err(format!("cannot read init's reply: {error}")),
    }
}

fn follow_logs(reader: &mut BufReader<UnixStream>) -> ExitCode {
    loop {
        match read_reply(reader) {
            Ok(Reply { log: Some(log), .. }) => {
                println!("{}", log.line);
                let _ = std::io::stdout().flush();
            }
            Ok(_) => {}
            Err(_) => return ExitCode::SUCCESS, // init went away (shutdown)
        }
    }
}

fn print_list(data: &serde_json::Value) {
    let list: Vec<ServiceStatus> = serde_json::from_value(data.clone()).unwrap_or_default();
    println!(
        "{:<24} {:<10} {:>8} {:>8}  NOTE",
        "NAME", "STATE", "PID", "RESTARTS"
    );
    for s in list {
        let pid = s.pid.map_or_else(|| "-".to_string(), |p| p.to_string());
        let note = s
            .error
            .or(s.last_exit.map(|e| format!("last: {e}")))
            .unwrap_or_default();
        println!(
            "{:<24} {:<10} {:>8} {:>8}  {}",
            s.name, s.state, pid, s.restarts, note
        );
    }
}

fn print_status(data: &serde_json::Value) -> ExitCode {
    let Ok(s) = serde_json::from_value::<ServiceStatus>(data.clone()) else {
        eprintln!("svc: bad status reply from init");
        return ExitCode::from(EXIT_ERROR);
    };
    println!("{} - {}", s.name, s.description);
    println!("  state:     {}", s.state);
    if let Some(pid) = s.pid {
        println!("  pid:       {pid}");
    }
    if let Some(ms) = s.uptime_ms {
        println!("  uptime:    {:.1} s", ms as f64 / 1000.0);
    }
    println!("  restarts:  {}", s.restarts);
    println!("  enabled:   {}", if s.enabled { "yes" } else { "no" });
    if let Some(exit) = &s.last_exit {
        println!("  last exit: {exit}");
    }
    if let Some(error) = &s.error {
        println!("  error:     {error}");
    }
    if !s.recent_logs.is_empty() {
        println!("  recent output:");
        for line in &s.recent_logs {
            println!("    {line}");
        }
    }
    // Like `systemctl status`: success only when it is up.
    if matches!(s.state.as_str(), "running" | "done") {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ERROR)
    }
}

fn print_boot_report(data: &serde_json::Value) {
    let Ok(report) = serde_json::from_value::<BootReport>(data.clone()) else {
        eprintln!("svc: bad boot-report reply from init");
        return;
    };
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| format!("{v} ms"));
    println!(
        "{:<24} {:>10} {:>10} {:>10}",
        "NAME", "STARTED", "READY", "TOOK"
    );
    for e in &report.services {
        let took = match (e.started_ms, e.ready_ms) {
            (Some(s), Some(r)) => Some(r.saturating_sub(s)),
            _ => None,
        };
        println!(
            "{:<24} {:>10} {:>10} {:>10}",
            e.name,
            ms(e.started_ms),
            ms(e.ready_ms),
            ms(took)
        );
    }
    println!("critical chain: {}", report.critical_chain.join(" -> "));
}
