//! A closed-loop HTTP/1.1 load generator: N tasks, each owning one keep-alive connection,
//! send a request, read the whole answer, record its latency and send the next, for a fixed
//! time after a warm-up. Any answer other than 2xx counts as an error, and a run with errors
//! fails: a benchmark of refusals measures nothing.

use anyhow::{Context, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Highest latency recorded, in microseconds (a minute; longer ones are clamped).
const MAX_MICROS: u64 = 60_000_000;

/// A new latency histogram in microseconds, three significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub connections: usize,
    pub requests: u64,
    pub errors: u64,
    /// The first error, for the report (status and the start of the body, or the IO error).
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Latencies of the measured requests, in microseconds.
    pub latencies: Histogram<u64>,
}

impl Measured {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q`, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latencies.value_at_quantile(q) as f64 / 1000.0
    }
}

/// One keep-alive connection to the server.
pub struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes; errors show on the sender.
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            host: addr.to_string(),
        })
    }

    /// Send one request and read the whole answer: status and body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        json: Option<&str>,
    ) -> anyhow::Result<(u16, Bytes)> {
        self.sender.ready().await?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::USER_AGENT, "relais-bench");
        if let Some(token) = bearer {
            request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match json {
            Some(json) => {
                request = request.header(hyper::header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(json.to_owned()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self.sender.send_request(request.body(body)?).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// One request on a fresh connection.
pub async fn once(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    json: Option<&str>,
) -> anyhow::Result<(u16, Bytes)> {
    Connection::open(addr)
        .await?
        .send(method, path, bearer, json)
        .await
}

/// `GET path` from `connections` connections for `warmup` then `duration`; only the requests
/// sent after the warm-up are measured.
pub async fn run(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let stop = measure_from + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let path = path.to_owned();
        let bearer = bearer.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            worker(addr, path, bearer, measure_from, stop).await
        }));
    }
    let mut out = Measured {
        connections,
        requests: 0,
        errors: 0,
        first_error: None,
        elapsed: duration,
        latencies: histogram(),
    };
    for task in tasks {
        let done = task.await??;
        out.requests += done.requests;
        out.errors += done.errors;
        if out.first_error.is_none() {
            out.first_error = done.first_error;
        }
        out.latencies.add(&done.latencies)?;
    }
    // The last requests end after `stop`: the measured window is until the last one ended.
    out.elapsed = Instant::now().saturating_duration_since(measure_from);
    Ok(out)
}

struct WorkerResult {
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Histogram<u64>,
}

async fn worker(
    addr: SocketAddr,
    path: String,
    bearer: Option<String>,
    measure_from: Instant,
    stop: Instant,
) -> anyhow::Result<WorkerResult> {
    let mut out = WorkerResult {
        requests: 0,
        errors: 0,
        first_error: None,
        latencies: histogram(),
    };
    let mut connection: Option<Connection> = None;
    loop {
        let sent = Instant::now();
        if sent >= stop {
            break;
        }
        let measured = sent >= measure_from;
        let conn = match &mut connection {
            Some(c) => c,
            None => match Connection::open(addr).await {
                Ok(c) => connection.insert(c),
                Err(err) => {
                    if measured {
                        out.errors += 1;
                    }
                    out.first_error.get_or_insert_with(|| format!("{err:#}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let answer = conn.send("GET", &path, bearer.as_deref(), None).await;
        let micros = (sent.elapsed().as_micros() as u64).clamp(1, MAX_MICROS);
        let failure = match answer {
            Ok((status, _)) if (200..300).contains(&status) => None,
            Ok((status, body)) => Some(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Err(err) => {
                // A broken connection is replaced.
                connection = None;
                Some(format!("{err:#}"))
            }
        };
        if let Some(failure) = failure {
            out.first_error.get_or_insert(failure);
            if measured {
                out.errors += 1;
            }
            continue;
        }
        if measured {
            out.requests += 1;
            out.latencies.record(micros)?;
        }
    }
    Ok(out)
}

/// Fail when a run had errors, naming the first.
pub fn no_errors(name: &str, measured: &Measured) -> anyhow::Result<()> {
    if measured.errors > 0 || measured.first_error.is_some() {
        bail!(
            "{name} at {} connections: {} errors, the first: {}",
            measured.connections,
            measured.errors,
            measured.first_error.as_deref().unwrap_or("?")
        );
    }
    Ok(())
}
