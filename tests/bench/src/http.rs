//! A minimal HTTP/1.1 keep-alive client: one request in flight per connection, the body read by
//! Content-Length. Lean on purpose, so the load generator takes little of the CPU it measures.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a browser would send; woothee reduces it to "Firefox 128 / Linux / desktop".
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

pub struct Conn {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
    /// Extra header lines (`Name: value\r\n`), e.g. the X-Forwarded-For of a client.
    extra: String,
}

impl Conn {
    /// Connects to a loopback address only: the bench never sends anything elsewhere.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::other("the bench only targets 127.0.0.1"));
        }
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            request: Vec::with_capacity(4096),
            buf: Vec::with_capacity(1024),
            extra: String::new(),
        })
    }

    /// A connection whose requests come, as the aggregator sees them behind its trusted proxy
    /// (127.0.0.1), from the client `ip`.
    pub async fn connect_as(addr: SocketAddr, ip: &str) -> std::io::Result<Conn> {
        let mut conn = Self::connect(addr).await?;
        conn.extra = format!("X-Forwarded-For: {ip}\r\n");
        Ok(conn)
    }

    /// POSTs `body` as text/plain (what sendBeacon sends) and returns the status code.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> std::io::Result<u16> {
        self.request.clear();
        self.request.extend_from_slice(b"POST ");
        self.request.extend_from_slice(path.as_bytes());
        self.request.extend_from_slice(
            b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nUser-Agent: ",
        );
        self.request.extend_from_slice(USER_AGENT.as_bytes());
        self.request.extend_from_slice(b"\r\n");
        self.request.extend_from_slice(self.extra.as_bytes());
        self.request.extend_from_slice(b"Content-Length: ");
        self.request
            .extend_from_slice(body.len().to_string().as_bytes());
        self.request.extend_from_slice(b"\r\n\r\n");
        self.request.extend_from_slice(body);
        self.stream.write_all(&self.request).await?;
        self.read_response().await
    }

    /// GETs `path` with a bearer token and returns the status code (the body is read and dropped).
    pub async fn get(&mut self, path: &str, token: &str) -> std::io::Result<u16> {
        Ok(self.get_sized(path, token).await?.0)
    }

    /// As [`Conn::get`], with the body's size in bytes.
    pub async fn get_sized(&mut self, path: &str, token: &str) -> std::io::Result<(u16, usize)> {
        self.request.clear();
        self.request.extend_from_slice(
            format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
            )
            .as_bytes(),
        );
        self.stream.write_all(&self.request).await?;
        self.read_sized().await
    }

    async fn read_response(&mut self) -> std::io::Result<u16> {
        Ok(self.read_sized().await?.0)
    }

    async fn read_sized(&mut self) -> std::io::Result<(u16, usize)> {
        self.buf.clear();
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            if self.buf.len() > 16 * 1024 || self.fill().await? == 0 {
                return Err(std::io::Error::other("connection closed before a response"));
            }
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| std::io::Error::other("response head is not UTF-8"))?;
        let status = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))?;
        let length: usize = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .unwrap_or(0);
        while self.buf.len() < head_end + length {
            if self.fill().await? == 0 {
                return Err(std::io::Error::other("connection closed inside a body"));
            }
        }
        Ok((status, length))
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 2048];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
