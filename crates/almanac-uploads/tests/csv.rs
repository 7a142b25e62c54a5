//! `check_csv`: what is accepted, what is refused and why, and what the cleaned file holds.

use almanac_uploads::{CheckedCsv, UploadError, UploadLimits, check_csv};

fn check(bytes: &[u8]) -> Result<CheckedCsv, UploadError> {
    check_csv("data.csv", bytes, &UploadLimits::default())
}

/// Reads cleaned output back, as the site builder will.
fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|record| {
            record
                .expect("cleaned output parses")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn accepts_utf8_and_keeps_the_data() {
    let input = "Ethnicity,Value,Note\r\nWhite Irish,12.5,\"Rounded, to 1 dp\"\r\nRoma,7,Ð Ç é\r\n";
    let checked = check(input.as_bytes()).unwrap();
    assert_eq!(checked.rows, 2);
    assert_eq!(checked.columns, 3);
    assert_eq!(checked.neutralised_cells, 0);
    // Line endings become \n; quotes stay only where a comma needs them.
    assert_eq!(
        String::from_utf8(checked.bytes).unwrap(),
        "Ethnicity,Value,Note\nWhite Irish,12.5,\"Rounded, to 1 dp\"\nRoma,7,Ð Ç é\n"
    );
}

#[test]
fn removes_a_byte_order_mark() {
    let checked = check(b"\xEF\xBB\xBFEthnicity,Value\nAsian,3\n").unwrap();
    assert_eq!(checked.bytes, b"Ethnicity,Value\nAsian,3\n");
    assert_eq!((checked.rows, checked.columns), (1, 2));
    // A header-only file with a BOM is fine; a BOM alone is empty.
    assert_eq!(check(b"\xEF\xBB\xBFa,b").unwrap().rows, 0);
    assert_eq!(check(b"\xEF\xBB\xBF"), Err(UploadError::Empty));
}

#[test]
fn accepts_ascii_without_a_final_newline() {
    let checked = check(b"a,b\n1,2").unwrap();
    assert_eq!(checked.bytes, b"a,b\n1,2\n");
}

#[test]
fn refuses_latin1_with_advice() {
    // "Café" as Excel's plain "CSV" saves it on Windows.
    let error = check(b"Place,Value\nCaf\xE9,1\n").unwrap_err();
    assert_eq!(error, UploadError::NotUtf8);
    let message = error.to_string();
    assert!(message.contains("UTF-8"), "{message}");
    assert!(message.contains("CSV UTF-8 (Comma delimited)"), "{message}");
}

#[test]
fn refuses_binary_files() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    assert_eq!(check(png), Err(UploadError::NotText));
    // UTF-16, as Excel's "Unicode Text": every other byte is NUL.
    let utf16: Vec<u8> = "a,b\n"
        .encode_utf16()
        .flat_map(|unit| unit.to_le_bytes())
        .collect();
    assert_eq!(
        check(&[b"\xFF\xFE".as_slice(), &utf16].concat()),
        Err(UploadError::NotText)
    );
    assert_eq!(check(b"a,b\n1,\x07\n"), Err(UploadError::NotText));
    // C1 controls are valid UTF-8 but no person types them.
    assert_eq!(
        check("a,b\n1,\u{85}\n".as_bytes()),
        Err(UploadError::NotText)
    );
    assert!(
        UploadError::NotText.to_string().contains("not a text file"),
        "{}",
        UploadError::NotText
    );
}

#[test]
fn refuses_ragged_rows_naming_the_line() {
    let error = check(b"a,b,c\n1,2,3\n4,5\n6,7,8\n").unwrap_err();
    let UploadError::NotCsv(detail) = &error else {
        panic!("expected NotCsv, got {error:?}");
    };
    assert!(detail.contains("line 3 has 2 columns"), "{detail}");
    assert!(detail.contains("the first line has 3"), "{detail}");
    assert!(
        error
            .to_string()
            .starts_with("The file is not a valid CSV file: line 3")
    );

    // A quoted value spanning lines counts as one record: the line is where the bad one starts.
    let error = check(b"a,b\n\"x\ny\",1\n2\n").unwrap_err();
    assert!(
        error.to_string().contains("line 4 has 1 column "),
        "{error}"
    );
}

#[test]
fn refuses_empty_files() {
    assert_eq!(check(b""), Err(UploadError::Empty));
    assert_eq!(check(b"\n\r\n\n"), Err(UploadError::Empty));
    assert!(UploadError::Empty.to_string().contains("empty"));
}

#[test]
fn refuses_files_over_the_limit() {
    let limits = UploadLimits { max_bytes: 10 };
    assert_eq!(
        check_csv("data.csv", b"a,b\n1,2\n3,4\n", &limits),
        Err(UploadError::TooLarge { limit: 10 })
    );
    assert!(check_csv("data.csv", b"a,b\n1,2\n", &limits).is_ok());
    let message = UploadError::TooLarge {
        limit: 50 * 1024 * 1024,
    }
    .to_string();
    assert!(message.contains("larger than 50 MB"), "{message}");
}

#[test]
fn needs_a_csv_name() {
    let limits = UploadLimits::default();
    for name in ["data.CSV", "Data.Csv", "C:\\fakepath\\data.csv"] {
        assert!(check_csv(name, b"a\n1\n", &limits).is_ok(), "{name}");
    }
    for name in ["data.xlsx", "data.csv.exe", "data", "datacsv", ""] {
        assert_eq!(
            check_csv(name, b"a\n1\n", &limits),
            Err(UploadError::NotCsvName),
            "{name}"
        );
    }
}

#[test]
fn neutralises_formulas_and_keeps_numbers_and_text() {
    let input = "Measure,Value,Note\n\
                 =HYPERLINK(\"http://x\"),-3.5,a=b\n\
                 @SUM(A1),+2,x@example.org\n\
                 \"-2+3\",-1234,<=5\n\
                 \"+cmd|' /C calc'!A0\",-,\"\tindent\"\n\
                 \"=1,2\",-12%,\"-1,234\"\n";
    let checked = check(input.as_bytes()).unwrap();
    assert_eq!(checked.neutralised_cells, 6);
    assert_eq!((checked.rows, checked.columns), (5, 3));
    assert_eq!(
        parse(&checked.bytes),
        [
            ["Measure", "Value", "Note"],
            ["'=HYPERLINK(\"http://x\")", "-3.5", "a=b"],
            ["'@SUM(A1)", "+2", "x@example.org"],
            ["'-2+3", "-1234", "<=5"],
            ["'+cmd|' /C calc'!A0", "-", "'\tindent"],
            ["'=1,2", "-12%", "-1,234"],
        ]
    );
    // A neutralised cell starts with `'`, so checking the output again changes nothing.
    let again = check(&checked.bytes).unwrap();
    assert_eq!(again.bytes, checked.bytes);
    assert_eq!(again.neutralised_cells, 0);
}

#[test]
fn output_reparses_to_the_same_shape_and_is_stable() {
    let mut input = String::from("Ethnicity,Year,Value,Note\n");
    for row in 0..500 {
        input.push_str(&format!(
            "\"Group {row}, with comma\",{},{}.{},\"said \"\"hi\"\"\"\n",
            2000 + row % 25,
            row,
            row % 10
        ));
    }
    let checked = check(input.as_bytes()).unwrap();
    let parsed = parse(&checked.bytes);
    assert_eq!(parsed.len(), 501);
    assert!(parsed.iter().all(|record| record.len() == 4));
    assert_eq!(parsed[1][3], "said \"hi\"");
    // Checking the output again changes nothing: stored files pass the check they passed.
    let again = check(&checked.bytes).unwrap();
    assert_eq!(again.bytes, checked.bytes);
    assert_eq!(again.neutralised_cells, 0);
}
