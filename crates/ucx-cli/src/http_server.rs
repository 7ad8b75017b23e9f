//! A small HTTP/1.1 server on hyper for the command's own endpoints: the demo's fixture
//! servers and the service endpoints of `run --listen`. Each answer is computed whole from
//! the request; nothing streams.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A request as the handlers see it.
pub(crate) struct Asked {
    pub(crate) method: hyper::Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) soap_action: String,
    pub(crate) body: String,
}

impl Asked {
    /// The first value of query parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: status, content type, an extra header, the body.
pub(crate) struct Answer(
    pub(crate) u16,
    pub(crate) &'static str,
    pub(crate) Option<(&'static str, String)>,
    pub(crate) Bytes,
);

impl Answer {
    /// Plain text.
    pub(crate) fn text(status: u16, body: impl Into<String>) -> Self {
        Answer(
            status,
            "text/plain; charset=utf-8",
            None,
            Bytes::from(body.into()),
        )
    }
}

/// A running server; it stops when dropped.
#[derive(Debug)]
pub(crate) struct Served {
    uri: String,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// `http://<address>`.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `handle` on `listener`: each request with the server's own `http://host:port`.
pub(crate) fn spawn<H, F>(listener: TcpListener, handle: H) -> std::io::Result<Served>
where
    H: Fn(Asked, String) -> F + Send + Sync + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    let uri = format!("http://{}", listener.local_addr()?);
    let base = uri.clone();
    let handle = Arc::new(handle);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (base, handle) = (base.clone(), handle.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let (base, handle) = (base.clone(), handle.clone());
                    async move { respond(req, base, handle.as_ref()).await }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    Ok(Served { uri, task })
}

async fn respond<H, F>(
    req: Request<Incoming>,
    base: String,
    handle: &H,
) -> Result<Response<Full<Bytes>>, Infallible>
where
    H: Fn(Asked, String) -> F + Sync,
    F: Future<Output = Answer> + Send,
{
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let asked = Asked {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query,
        soap_action: parts
            .headers
            .get("soapaction")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let Answer(status, content_type, header, body) = handle(asked, base).await;
    let mut response = Response::builder()
        .status(status)
        .header("content-type", content_type);
    if let Some((name, value)) = header {
        response = response.header(name, value);
    }
    Ok(response
        .body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}
