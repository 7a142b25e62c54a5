//! A real HTTP server for a test: the router on a free port of 127.0.0.1.

use std::net::SocketAddr;

use tokio::task::JoinHandle;

/// Serves `router` on `127.0.0.1:<free port>` until the returned task is aborted or the test's
/// runtime ends. Returns the base URL (`http://127.0.0.1:PORT`, no trailing slash) and the task.
///
/// Handlers can read the client address with `ConnectInfo<SocketAddr>`.
pub async fn serve(router: axum::Router) -> (String, JoinHandle<()>) {
    serve_with(|_| router).await
}

/// Like [`serve`], for an application that must know its own address (a `PUBLIC_URL` for the
/// links in its emails): `make` gets the base URL and returns the router.
pub async fn serve_with(make: impl FnOnce(&str) -> axum::Router) -> (String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port on 127.0.0.1");
    let base = format!(
        "http://{}",
        listener.local_addr().expect("address of the test server")
    );
    let router = make(&base);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("test server failed");
    });
    (base, task)
}
