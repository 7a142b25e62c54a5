//! A real S3 API server for tests: s3s in this process on 127.0.0.1:0, checking SigV4
//! signatures with one fixed key, over any `s3s::S3` store (s3s-fs on a temporary folder, or
//! a wrapper of it that injects failures).

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

pub const ACCESS_KEY: &str = "AKIAALMANACTEST";
pub const SECRET_KEY: &str = "almanac-test-secret";

/// A running server; stopped when dropped.
pub struct S3Server {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl S3Server {
    /// Serves `store` until dropped.
    pub async fn serve(store: impl s3s::S3) -> S3Server {
        let mut builder = s3s::service::S3ServiceBuilder::new(store);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port on 127.0.0.1");
        let address = listener.local_addr().expect("address of the S3 server");
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        S3Server {
            endpoint: format!("http://{address}"),
            task,
        }
    }

    /// s3s-fs storing its buckets under `root` (made if missing).
    pub async fn on_folder(root: &std::path::Path) -> S3Server {
        std::fs::create_dir_all(root).expect("make the S3 server's folder");
        S3Server::serve(s3s_fs::FileSystem::new(root).expect("an s3s-fs root folder")).await
    }
}
