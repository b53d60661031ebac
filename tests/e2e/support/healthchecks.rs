//! A stand-in for healthchecks.io on 127.0.0.1, recording every request: what the e2e tests
//! of pings (`healthcheck.rs`, `upgrade.rs`) point their jobs at.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::path_str;

/// A check's UUID, as healthchecks.io gives them.
pub const UUID: &str = "5f1c2a9e-3b7d-4c1e-8a2f-6d0e9b4c7a13";

/// A stand-in for healthchecks.io: answers `200 OK` to the ping endpoints of the one check
/// `/ping/<UUID>[/start|/fail|/log|/<0-255>]`, `404` to anything else, as healthchecks.io
/// does for an unknown check, and `400` to a `rid` that is not a UUID in canonical form, as
/// healthchecks.io does; it records every request (method, path, query, body) as a JSON line.
/// Prints its port once it listens.
const SERVER: &str = r#"
import http.server, json, re, sys, urllib.parse
ping = re.compile(r'^/ping/' + re.escape(sys.argv[2]) + r'(/(start|fail|log|[0-9]{1,3}))?$')
uuid = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
class Handler(http.server.BaseHTTPRequestHandler):
    def record(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace')
        url = urllib.parse.urlsplit(self.path)
        with open(sys.argv[1], 'a') as f:
            f.write(json.dumps({'method': self.command, 'path': url.path,
                                'query': url.query, 'body': body}) + '\n')
        rids = urllib.parse.parse_qs(url.query).get('rid', [])
        if not ping.match(url.path):
            status, reply = 404, b'not found'
        elif any(not uuid.match(rid) for rid in rids):
            status, reply = 400, b'invalid uuid format'
        else:
            status, reply = 200, b'OK'
        self.send_response(status)
        self.send_header('Content-Length', str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    do_GET = do_POST = do_HEAD = record
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// One recorded request.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: String,
}

/// The recording server, killed when dropped.
pub struct Healthchecks {
    child: Child,
    port: u16,
    record: PathBuf,
    _dir: tempfile::TempDir,
}

impl Healthchecks {
    pub fn start() -> Healthchecks {
        let dir = tempfile::Builder::new()
            .prefix("crontainer-e2e-hc-")
            .tempdir()
            .unwrap();
        let record = dir.path().join("requests.jsonl");
        let python = ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|p| !p.starts_with('/') || Path::new(p).exists())
            .unwrap();
        let mut child = Command::new(python)
            .args(["-c", SERVER, path_str(&record), UUID])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3 for the recording server");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the recording server printed {first:?}, not its port"));
        Healthchecks {
            child,
            port,
            record,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/ping/{UUID}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Healthchecks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
