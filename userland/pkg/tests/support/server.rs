//! A tiny HTTP (and HTTPS) file server on 127.0.0.1 for the repository tests: it serves
//! directories under URL prefixes, optionally with one byte flipped in every file (a mirror
//! serving tampered files), and records each request's path. It stops when dropped, and by
//! itself after a few minutes at the latest.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a server runs, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(300);

/// Where a URL prefix is served from.
#[derive(Clone)]
pub struct Route {
    pub dir: PathBuf,
    /// Flip one byte of every file served.
    pub tamper: bool,
}

pub struct Server {
    pub port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A TLS certificate chain and key for the server.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
}

impl Server {
    /// Serves `routes` (URL prefix such as `/good` → directory) over HTTP, or HTTPS with `tls`.
    pub fn start(routes: HashMap<String, Route>, tls: Option<Tls>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::SeqCst) && started.elapsed() < LIFETIME {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).unwrap();
                            stream
                                .set_read_timeout(Some(Duration::from_secs(30)))
                                .unwrap();
                            let _ = serve(stream, &routes, &requests, tls.as_ref());
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// The base URL of `prefix` on this server.
    pub fn url(&self, scheme: &str, prefix: &str) -> String {
        format!("{scheme}://127.0.0.1:{}{prefix}", self.port)
    }

    /// The paths requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
pub fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(
    stream: TcpStream,
    routes: &HashMap<String, Route>,
    requests: &Mutex<Vec<String>>,
    tls: Option<&Tls>,
) -> std::io::Result<()> {
    match tls {
        None => respond(stream, routes, requests),
        Some(tls) => {
            let connection =
                rustls::ServerConnection::new(tls.config.clone()).map_err(std::io::Error::other)?;
            let mut stream = rustls::StreamOwned::new(connection, stream);
            respond(&mut stream, routes, requests)?;
            stream.conn.send_close_notify();
            stream.flush()
        }
    }
}

fn respond(
    mut stream: impl Read + Write,
    routes: &HashMap<String, Route>,
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(&mut stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    requests.lock().unwrap().push(path.clone());
    let body = lookup(routes, &path);
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", b"not found\n".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

fn lookup(routes: &HashMap<String, Route>, path: &str) -> Option<Vec<u8>> {
    let (prefix, file) = path.rsplit_once('/')?;
    let route = routes.get(prefix)?;
    if file.is_empty() || file.starts_with('.') {
        return None;
    }
    let mut body = std::fs::read(Path::new(&route.dir).join(file)).ok()?;
    if route.tamper && !body.is_empty() {
        let middle = body.len() / 2;
        body[middle] ^= 0x01;
    }
    Some(body)
}

/// A test CA (its certificate in PEM) and a server configuration with a certificate for
/// 127.0.0.1 that it signed.
pub fn test_ca() -> (String, Tls) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)
    .unwrap();
    (
        ca.pem(),
        Tls {
            config: Arc::new(config),
        },
    )
}
