//! The clamd client against a real clamd (`almanac_test_support::clamd`), and against
//! addresses where no clamd answers properly.

use std::time::{Duration, Instant};

use almanac_test_support::clamd::{
    ClamdServer, EICAR, EICAR_EMBEDDED_SIGNATURE, EICAR_SIGNATURE, STREAM_MAX_LENGTH,
};
use almanac_uploads::{
    CHUNK_SIZE, Clamd, ClamdAddress, ScanVerdict, UploadError, UploadLimits, check_csv,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn scan_failed(error: UploadError) -> String {
    let message = error.to_string();
    let UploadError::ScanFailed(detail) = error else {
        panic!("expected ScanFailed, got {error:?}");
    };
    assert!(
        message.starts_with("The file could not be checked for viruses, so it was not saved."),
        "{message}"
    );
    detail
}

#[tokio::test]
async fn pings_over_tcp_and_unix_socket() {
    let server = ClamdServer::start();
    Clamd::new(server.address()).ping().await.unwrap();
    Clamd::new(server.unix_address()).ping().await.unwrap();
}

#[tokio::test]
async fn a_clean_csv_is_clean() {
    let server = ClamdServer::start();
    let checked = check_csv(
        "employment.csv",
        b"Ethnicity,Value\nWhite,1\nBlack,2\n",
        &UploadLimits::default(),
    )
    .unwrap();
    for address in [server.address(), server.unix_address()] {
        let verdict = Clamd::new(address).scan(&checked.bytes).await.unwrap();
        assert_eq!(verdict, ScanVerdict::Clean, "{}", server.log());
    }
    // An empty stream is a clean one, not a protocol error.
    assert_eq!(
        Clamd::new(server.address()).scan(b"").await.unwrap(),
        ScanVerdict::Clean
    );
}

#[tokio::test]
async fn finds_eicar() {
    let server = ClamdServer::start();
    let verdict = Clamd::new(server.address())
        .scan(EICAR.as_bytes())
        .await
        .unwrap();
    let ScanVerdict::Infected { signature } = verdict else {
        panic!("EICAR was not found:\n{}", server.log());
    };
    // Both signatures match a file that is exactly EICAR; clamd reports the first it tries.
    assert!(
        [EICAR_SIGNATURE, EICAR_EMBEDDED_SIGNATURE].contains(&signature.as_str()),
        "{signature}"
    );
    let message = UploadError::Infected { signature }.to_string();
    assert!(
        message.contains("contains a virus (Eicar-Test-Signature"),
        "{message}"
    );
}

#[tokio::test]
async fn finds_eicar_inside_a_large_csv_across_chunks() {
    let server = ClamdServer::start();
    let mut csv = String::from("Ethnicity,Value,Note\n");
    // The EICAR cell straddles the boundary between the 4th and 5th chunk.
    while csv.len() < 4 * CHUNK_SIZE - EICAR.len() / 2 {
        csv.push_str("White British,12.5,plain text\n");
    }
    csv.push_str(&format!("Other,1,{EICAR}\n"));
    while csv.len() < 16 * CHUNK_SIZE {
        csv.push_str("Mixed,3.25,more plain text\n");
    }
    let started = Instant::now();
    let verdict = Clamd::new(server.address())
        .scan(csv.as_bytes())
        .await
        .unwrap();
    eprintln!("scanned {} bytes in {:?}", csv.len(), started.elapsed());
    assert_eq!(
        verdict,
        ScanVerdict::Infected {
            signature: EICAR_EMBEDDED_SIGNATURE.to_owned()
        }
    );
}

#[tokio::test]
async fn a_stream_over_clamds_limit_fails_with_advice() {
    let server = ClamdServer::start();
    let too_long = vec![b'a'; STREAM_MAX_LENGTH as usize + CHUNK_SIZE];
    let detail = scan_failed(
        Clamd::new(server.address())
            .scan(&too_long)
            .await
            .unwrap_err(),
    );
    assert!(detail.contains("StreamMaxLength"), "{detail}");
}

#[tokio::test]
async fn no_clamd_is_a_failed_scan_not_a_clean_one() {
    // A port that was free a moment ago, and a socket path that does not exist.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let address = ClamdAddress::Tcp(format!("127.0.0.1:{port}"));
    let detail = scan_failed(Clamd::new(address).scan(b"a,b\n").await.unwrap_err());
    assert!(
        detail.starts_with(&format!("clamd at 127.0.0.1:{port}: could not connect:")),
        "{detail}"
    );
    let missing = std::env::temp_dir().join("almanac-no-such-clamd.sock");
    let detail = scan_failed(
        Clamd::new(ClamdAddress::Unix(missing))
            .ping()
            .await
            .unwrap_err(),
    );
    assert!(detail.contains("could not connect"), "{detail}");
}

#[tokio::test]
async fn a_silent_or_strange_server_fails_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = ClamdAddress::Tcp(listener.local_addr().unwrap().to_string());
    tokio::spawn(async move {
        let mut connection = 0;
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            connection += 1;
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                if connection == 1 {
                    // Reads everything, answers nothing.
                    while socket.read(&mut buffer).await.unwrap_or(0) > 0 {}
                } else {
                    let _ = socket.read(&mut buffer).await;
                    let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                }
            });
        }
    });
    let clamd =
        Clamd::new(address).with_timeouts(Duration::from_secs(2), Duration::from_millis(300));

    let started = Instant::now();
    let detail = scan_failed(clamd.scan(b"a,b\n").await.unwrap_err());
    assert!(detail.contains("did not answer within 300ms"), "{detail}");
    assert!(started.elapsed() < Duration::from_secs(2));

    let detail = scan_failed(clamd.scan(b"a,b\n").await.unwrap_err());
    assert!(detail.contains("unexpected answer"), "{detail}");
}
