//! HTTPS: TLS with optional client certificates, HTTP/1.1 and HTTP/2 on one port.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::handler::{self, User};
use crate::pki::identity_from_cert;
use crate::state::ApiServer;

/// Serves until the listener fails; each connection on its own task.
pub async fn serve(listener: TcpListener, tls: Arc<rustls::ServerConfig>, srv: Arc<ApiServer>) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let srv = srv.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(acceptor, tcp, peer, srv).await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
}

async fn connection(
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    srv: Arc<ApiServer>,
) -> anyhow::Result<()> {
    let tls =
        tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await??;
    // rustls verified any certificate against the cluster CA during the handshake.
    let user = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .and_then(|c| identity_from_cert(c.as_ref()))
        .map(|(name, groups)| User { name, groups });
    tracing::trace!(%peer, user = ?user.as_ref().map(|u| &u.name), "TLS connection");
    let service = service_fn(move |req| {
        let srv = srv.clone();
        let user = user.clone();
        async move { Ok::<_, std::convert::Infallible>(handler::handle(srv, req, user).await) }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http2().max_concurrent_streams(1000);
    builder
        .serve_connection_with_upgrades(TokioIo::new(tls), service)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}
