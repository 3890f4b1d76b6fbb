//! Capture renders every MySQL column type as documented in the README ("Payload
//! rendering"), the same from the triggers and from backfill, whatever the writer's
//! time_zone, sql_mode and character set, on MySQL and MariaDB alike; and the
//! application's own statements never fail because of capture.
#![recursion_limit = "512"]
mod common;

use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::ops::backfill::{self, BackfillConfig};
use common::TestDb;
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

/// One column of (nearly) every type MySQL 8+/MariaDB 10.6+ share.
const ALL_TYPES: &str = "CREATE TABLE all_types (
    id INT PRIMARY KEY,
    ti TINYINT NULL, tiu TINYINT UNSIGNED NULL, si SMALLINT NULL, mi MEDIUMINT NULL,
    i INT NULL, iu INT UNSIGNED NULL, bi BIGINT NULL, bu BIGINT UNSIGNED NULL, flag TINYINT(1) NULL,
    dec65 DECIMAL(65,30) NULL, d2 DECIMAL(10,2) NULL,
    fl FLOAT NULL, db DOUBLE NULL,
    dt DATE NULL, tm TIME(3) NULL, dtm DATETIME NULL, dtm6 DATETIME(6) NULL,
    ts TIMESTAMP NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL, yr YEAR NULL,
    b1 BIT(1) NULL, b5 BIT(5) NULL, b64 BIT(64) NULL,
    en ENUM('a','b','ç') NULL, st SET('x','y','z') NULL,
    ch CHAR(5) NULL, vc VARCHAR(100) NULL, tx TEXT NULL,
    lat VARCHAR(20) CHARACTER SET latin1 NULL, tt TINYTEXT NULL, mt MEDIUMTEXT NULL, lt LONGTEXT NULL,
    bn BINARY(4) NULL, vb VARBINARY(10) NULL, bl BLOB NULL, tb TINYBLOB NULL, mb MEDIUMBLOB NULL,
    lb LONGBLOB NULL,
    js JSON NULL,
    g GEOMETRY NULL, pt POINT NULL, ls LINESTRING NULL, pg POLYGON NULL, mp MULTIPOINT NULL,
    gc GEOMETRYCOLLECTION NULL,
    gen_v BIGINT AS (i * 2) VIRTUAL, gen_s VARCHAR(120) AS (CONCAT(vc, '!')) STORED,
    inv INT NULL INVISIBLE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

const COLUMNS: &str =
    "id, ti, tiu, si, mi, i, iu, bi, bu, flag, dec65, d2, fl, db, dt, tm, dtm, dtm6, \
    ts, ts3, yr, b1, b5, b64, en, st, ch, vc, tx, lat, tt, mt, lt, bn, vb, bl, tb, mb, lb, js, \
    g, pt, ls, pg, mp, gc, inv";

/// Row 2: the largest values; text with 4-byte UTF-8, quotes, a backslash and a newline;
/// latin1 text; bytes that are not UTF-8; geometry with an SRID. Written from a session
/// in +05:00 (so the TIMESTAMP literals are 5 hours ahead of UTC).
const ROW_MAX: &str = "2, 127, 255, 32767, 8388607, 2147483647, 4294967295, 9223372036854775807, \
    18446744073709551615, 1, \
    99999999999999999999999999999999999.999999999999999999999999999999, 12.50, \
    0.1, 1.7976931348623157e308, \
    '9999-12-31', '838:59:59.000', '9999-12-31 23:59:59', '2026-01-02 03:04:05.123456', \
    '2038-01-19 08:14:07', '2026-03-01 10:00:00.500', 2155, \
    b'1', b'10101', b'1111111111111111111111111111111111111111111111111111111111111111', \
    CONVERT(X'C3A7' USING utf8mb4), 'x,z', 'abc', \
    CONCAT(CONVERT(X'F09F9880' USING utf8mb4), ' smile'), \
    CONCAT('line1', CHAR(10), 'say ', CHAR(34), 'hi', CHAR(34), ' ', CHAR(92), ' done'), \
    CONVERT(X'436166E9' USING latin1), 'tiny', 'medium', 'long', \
    X'00FF10', X'FF', X'89504E470D0A1A0A', X'', REPEAT(X'FF', 100), REPEAT('a', 100), \
    '{\"b\": 1, \"a\": [1.50, \"x\", null, {\"k\": \"v\"}]}', \
    ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(0.1 -2.5)', 4326), \
    ST_GeomFromText('LINESTRING(0 0,1.25 0.001)'), ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 0))'), \
    ST_GeomFromText('MULTIPOINT(1 2,3 4)'), \
    ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'), 7";

/// Row 3: the smallest values.
const ROW_MIN: &str = "3, -128, 0, -32768, -8388608, -2147483648, 0, -9223372036854775808, 0, 0, \
    -1.5, -0.01, -3.4028234e38, 2.2250738585072014e-308, \
    '1000-01-01', '-838:59:58.999', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000001', \
    '1970-01-01 05:00:01', '2026-06-15 12:00:00.001', 1901, \
    b'0', b'0', b'0', 'a', '', '', 'x', '', '', '', '', '', \
    X'FFFFFFFF', X'00', X'FF', X'00', X'', X'', \
    '[]', ST_GeomFromText('POINT(-1.5 0)'), NULL, NULL, NULL, NULL, NULL, 0";

/// Row 4: MySQL's zero values (the writer's sql_mode allows them).
const ROW_ZERO: &str = "4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
    '0000-00-00', '00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', \
    '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0, \
    b'0', b'0', b'0', 'b', 'y', ' ', ' ', ' ', ' ', ' ', ' ', ' ', \
    X'', X'', X'', X'', X'', X'', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL";

/// Standard base64 with padding and no line breaks (the documented binary form).
fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A number as serde_json parses it from payload text (its default float parser is not
/// exactly rounded, so documented doubles are parsed the same way).
fn num(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn null_row(id: i64) -> Value {
    let mut m = Map::new();
    for c in COLUMNS.split(", ").chain(["gen_v", "gen_s"]) {
        m.insert(c.to_string(), Value::Null);
    }
    m.insert("id".into(), json!(id));
    Value::Object(m)
}

fn with(mut base: Value, pairs: Value) -> Value {
    if let (Value::Object(b), Value::Object(p)) = (&mut base, pairs) {
        b.extend(p);
    }
    base
}

/// The documented rendering of each row.
fn expected(id: i64) -> Value {
    let base = null_row(id);
    match id {
        1 => base,
        2 => with(
            base,
            json!({
                "ti": 127, "tiu": 255, "si": 32767, "mi": 8388607, "i": 2147483647,
                "iu": 4294967295u64, "bi": 9223372036854775807i64, "bu": 18446744073709551615u64,
                "flag": 1, "dec65": 1e35, "d2": 12.5,
                "fl": num("0.10000000149011612"), "db": 1.7976931348623157e308,
                "dt": "9999-12-31", "tm": "838:59:59.000", "dtm": "9999-12-31 23:59:59",
                "dtm6": "2026-01-02 03:04:05.123456",
                "ts": "2038-01-19T03:14:07Z", "ts3": "2026-03-01T05:00:00.500Z", "yr": 2155,
                "b1": 1, "b5": 21, "b64": 18446744073709551615u64,
                "en": "ç", "st": "x,z", "ch": "abc", "vc": "😀 smile",
                "tx": "line1\nsay \"hi\" \\ done", "lat": "Café", "tt": "tiny", "mt": "medium",
                "lt": "long",
                "bn": b64(&[0, 0xff, 0x10, 0]), "vb": b64(&[0xff]),
                "bl": b64(&[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), "tb": "",
                "mb": b64(&[0xff; 100]), "lb": b64(&[b'a'; 100]),
                "js": {"a": [1.5, "x", null, {"k": "v"}], "b": 1},
                "g": "POINT(1 2)", "pt": "SRID=4326;POINT(0.1 -2.5)",
                "ls": "LINESTRING(0 0,1.25 0.001)", "pg": "POLYGON((0 0,10 0,10 10,0 0))",
                "mp": "MULTIPOINT(1 2,3 4)",
                "gc": "GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))",
                "gen_v": 4294967294i64, "gen_s": "😀 smile!", "inv": 7
            }),
        ),
        3 => with(
            base,
            json!({
                "ti": -128, "tiu": 0, "si": -32768, "mi": -8388608, "i": -2147483648i64,
                "iu": 0, "bi": i64::MIN, "bu": 0, "flag": 0, "dec65": -1.5, "d2": -0.01,
                "fl": num("-3.4028234663852886e38"), "db": 2.2250738585072014e-308,
                "dt": "1000-01-01", "tm": "-838:59:58.999", "dtm": "1000-01-01 00:00:00",
                "dtm6": "1000-01-01 00:00:00.000001",
                "ts": "1970-01-01T00:00:01Z", "ts3": "2026-06-15T07:00:00.001Z", "yr": 1901,
                "b1": 0, "b5": 0, "b64": 0, "en": "a", "st": "", "ch": "", "vc": "x",
                "tx": "", "lat": "", "tt": "", "mt": "", "lt": "",
                "bn": b64(&[0xff; 4]), "vb": "AA==", "bl": "/w==", "tb": "AA==", "mb": "",
                "lb": "", "js": [], "g": "POINT(-1.5 0)",
                "gen_v": -4294967296i64, "gen_s": "x!", "inv": 0
            }),
        ),
        _ => with(
            base,
            json!({
                "ti": 0, "tiu": 0, "si": 0, "mi": 0, "i": 0, "iu": 0, "bi": 0, "bu": 0,
                "flag": 0, "dec65": 0, "d2": 0, "fl": 0, "db": 0,
                "dt": "0000-00-00", "tm": "00:00:00.000", "dtm": "0000-00-00 00:00:00",
                "dtm6": "0000-00-00 00:00:00.000000",
                "ts": "0000-00-00T00:00:00Z", "ts3": "0000-00-00T00:00:00.000Z", "yr": 0,
                "b1": 0, "b5": 0, "b64": 0, "en": "b", "st": "y",
                // CHAR drops trailing spaces; the others keep them
                "ch": "", "vc": " ", "tx": " ", "lat": " ", "tt": " ", "mt": " ", "lt": " ",
                "bn": "AAAAAA==", "vb": "", "bl": "", "tb": "", "mb": "", "lb": "",
                "js": null, "gen_v": 0, "gen_s": " !"
            }),
        ),
    }
}

/// Numbers compare as values: an integral float equals the integer (MySQL's JSON column
/// writes 1e35 for what MariaDB keeps as 100000…), a decimal equals its double.
fn norm(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                json!(f as i64)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(norm).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, norm(v))).collect()),
        other => other,
    }
}

fn assert_same(actual: &Value, expected: &Value, what: &str) {
    let (a, e) = (norm(actual.clone()), norm(expected.clone()));
    if a == e {
        return;
    }
    let (Value::Object(am), Value::Object(em)) = (&a, &e) else {
        panic!("{what}: {a} != {e}");
    };
    let mut diffs = Vec::new();
    for (k, ev) in em {
        match am.get(k) {
            Some(av) if av == ev => {}
            other => diffs.push(format!("{k}: got {other:?}, documented {ev}")),
        }
    }
    for k in am.keys().filter(|k| !em.contains_key(*k)) {
        diffs.push(format!("{k}: unexpected"));
    }
    panic!("{what}:\n  {}", diffs.join("\n  "));
}

/// (op_type, record_id, payload text) of the queue rows, in order.
async fn queue(db: &TestDb) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT CAST(op_type AS CHAR), CAST(record_id AS CHAR), CAST(payload AS CHAR) FROM certyo_queue ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("payload is not JSON ({e}): {text}"))
}

/// Run statements on one connection of the test pool set up like a foreign writer:
/// another time zone, sql_mode and character set. The connection is closed afterwards.
async fn as_writer(db: &TestDb, setup: &str, statements: &[String]) {
    let mut conn = db.pool.acquire().await.unwrap();
    // Our pool turns MariaDB's CHECK constraints off; an application has them on (the
    // queue's JSON CHECK is what failed application writes before).
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    if version.contains("MariaDB") {
        sqlx::raw_sql("SET SESSION check_constraint_checks = 1")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{setup}: {e}"));
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("the application's statement failed: {e}\n{sql}"));
    }
    drop(conn.detach());
}

#[tokio::test]
async fn every_type_renders_as_documented_from_triggers_and_backfill_in_any_session() {
    let db = TestDb::new().await;
    db.exec(ALL_TYPES).await;
    let report = migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec!["all_types".into()],
            ..MigratePlan::default()
        },
    )
    .await
    .expect("migrate accepts every type");
    assert!(report.changed());

    // Inserts from a +05:00, non-strict, ANSI_QUOTES/NO_BACKSLASH_ESCAPES/PIPES_AS_CONCAT
    // session writing latin1.
    let inserts: Vec<String> = [
        "1".to_string(),
        ROW_MAX.to_string(),
        ROW_MIN.to_string(),
        ROW_ZERO.to_string(),
    ]
    .iter()
    .map(|v| {
        if v == "1" {
            "INSERT INTO all_types (id) VALUES (1)".to_string()
        } else {
            format!("INSERT INTO all_types ({COLUMNS}) VALUES ({v})")
        }
    })
    .collect();
    as_writer(
        &db,
        "SET time_zone = '+05:00', sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,PIPES_AS_CONCAT,ALLOW_INVALID_DATES', NAMES latin1",
        &inserts,
    )
    .await;

    let rows = queue(&db).await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (i, (op, record_id, payload)) in rows.iter().enumerate() {
        let id = i as i64 + 1;
        assert_eq!(
            (op.as_str(), record_id.as_str()),
            ("insert", &*id.to_string())
        );
        assert_same(
            &parse(payload),
            &expected(id),
            &format!("insert of row {id}"),
        );
    }
    // Exact numbers stay exact.
    assert!(
        rows[1]
            .2
            .contains("99999999999999999999999999999999999.999999999999999999999999999999"),
        "{}",
        rows[1].2
    );
    assert!(rows[1].2.contains("18446744073709551615"), "{}", rows[1].2);
    assert!(rows[2].2.contains("-9223372036854775808"), "{}", rows[2].2);
    // Integral floats are written as integers on both engines (MySQL's JSON would say 0.0).
    for field in ["\"fl\": 0", "\"db\": 0"] {
        assert!(
            rows[3].2.contains(&format!("{field},")) || rows[3].2.contains(&format!("{field}}}")),
            "{field} in {}",
            rows[3].2
        );
    }

    // Backfill (our own UTC session) renders the same rows identically.
    let r = backfill::run(
        &db.pool,
        &db.name,
        "all_types",
        &BackfillConfig::default(),
        &CancellationToken::new(),
        &mut |_| {},
    )
    .await
    .expect("backfill");
    assert_eq!(r.enqueued_now, 4);
    let rows = queue(&db).await;
    for (i, (op, record_id, payload)) in rows[4..].iter().enumerate() {
        let id = i as i64 + 1;
        assert_eq!(
            (op.as_str(), record_id.as_str()),
            ("upsert", &*id.to_string())
        );
        assert_same(
            &parse(payload),
            &parse(&rows[i].2),
            &format!("backfill vs trigger, row {id}"),
        );
    }

    // Updates and a delete from a -08:00, strict session writing utf8mb4.
    as_writer(
        &db,
        "SET time_zone = '-08:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO', NAMES utf8mb4",
        &[
            "UPDATE all_types SET i = 5, ts = '2026-07-01 16:00:00', bl = X'FFFE00' WHERE id = 2".into(),
            "UPDATE all_types SET vc = 'y' WHERE id = 1".into(),
            "DELETE FROM all_types WHERE id = 3".into(),
        ],
    )
    .await;
    let rows = queue(&db).await;
    let tail: Vec<_> = rows[8..].to_vec();
    assert_eq!(tail.len(), 3, "{tail:?}");
    assert_eq!((tail[0].0.as_str(), tail[0].1.as_str()), ("update", "2"));
    assert_same(
        &parse(&tail[0].2),
        &with(
            expected(2),
            json!({"i": 5, "gen_v": 10, "ts": "2026-07-02T00:00:00Z", "bl": "//4A"}),
        ),
        "update of row 2",
    );
    assert_eq!((tail[1].0.as_str(), tail[1].1.as_str()), ("update", "1"));
    assert_same(
        &parse(&tail[1].2),
        &with(expected(1), json!({"vc": "y", "gen_s": "y!"})),
        "update of row 1",
    );
    assert_eq!((tail[2].0.as_str(), tail[2].1.as_str()), ("delete", "3"));
    assert_same(&parse(&tail[2].2), &expected(3), "delete of row 3");

    // A change of only a geometry, a JSON or a float column is a change; rewriting
    // every column with its own value is not.
    let before = queue(&db).await.len();
    db.exec("UPDATE all_types SET g = ST_GeomFromText('POINT(5 6)') WHERE id = 2")
        .await;
    db.exec("UPDATE all_types SET js = '{\"z\": 1}' WHERE id = 2")
        .await;
    db.exec("UPDATE all_types SET fl = 0.25 WHERE id = 2").await;
    db.exec(&format!(
        "UPDATE all_types SET {}",
        COLUMNS
            .split(", ")
            .map(|c| format!("{c} = {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .await;
    let rows = queue(&db).await;
    assert_eq!(rows.len(), before + 3, "{:?}", &rows[before..]);
    let last = parse(&rows[before + 2].2);
    assert_eq!(last["g"], json!("POINT(5 6)"));
    assert_eq!(last["js"], json!({"z": 1}));
    assert_eq!(last["fl"], json!(0.25));

    // Still current for status and a second migrate.
    let again = migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec!["all_types".into()],
            ..MigratePlan::default()
        },
    )
    .await
    .unwrap();
    assert!(!again.changed(), "{:?}", again.statements);
    db.finish().await;
}

/// America/New_York repeats 01:00–02:00 local time on 2026-11-01: 05:30 UTC and 06:30
/// UTC are both "01:30". A TIMESTAMP payload is the stored instant in UTC however the
/// writer's session names it, and the same from backfill.
#[tokio::test]
async fn timestamps_in_the_hour_a_daylight_saving_zone_repeats_render_their_own_instant() {
    let db = TestDb::new().await;
    let zone: Option<String> = sqlx::query_scalar(
        "SELECT CAST(CONVERT_TZ('2026-11-01 06:30:00', '+00:00', 'America/New_York') AS CHAR)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        zone.is_some(),
        "the server has no time zone tables (SET time_zone = 'America/New_York' fails); \
         load them with `bash scripts/ensure-time-zones.sh {}` (scripts/test.sh does)",
        common::server_url()
    );
    db.exec(
        "CREATE TABLE fold (id INT PRIMARY KEY, ts TIMESTAMP NULL DEFAULT NULL, \
         ts3 TIMESTAMP(3) NULL DEFAULT NULL, x INT NULL)",
    )
    .await;
    migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec!["fold".into()],
            ..MigratePlan::default()
        },
    )
    .await
    .expect("migrate");

    // Two rows whose instants are an hour apart and read "01:30" in New York.
    as_writer(
        &db,
        "SET time_zone = '+00:00'",
        &["INSERT INTO fold (id, ts, ts3, x) VALUES (1, '2026-11-01 05:30:00', '2026-11-01 05:30:00.250', 0), \
           (2, '2026-11-01 06:30:00', '2026-11-01 06:30:00.750', 0)"
            .into()],
    )
    .await;
    // The application in New York touches both rows and writes a third in the fold.
    as_writer(
        &db,
        "SET time_zone = 'America/New_York'",
        &[
            "UPDATE fold SET x = 1".into(),
            "INSERT INTO fold (id, ts, ts3, x) VALUES (3, '2026-11-01 01:30:00', '2026-11-01 01:59:59.999', 0)".into(),
        ],
    )
    .await;
    // The instant the server stored for row 3, in milliseconds since the epoch.
    let (ts_ms, ts3_ms): (i64, i64) = sqlx::query_as(
        "SELECT CAST(UNIX_TIMESTAMP(ts) * 1000 AS SIGNED), CAST(UNIX_TIMESTAMP(ts3) * 1000 AS SIGNED) \
         FROM fold WHERE id = 3",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let utc = |ms: i64, format: &str| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .format(format)
            .to_string()
    };
    let row3 = (
        utc(ts_ms, "%Y-%m-%dT%H:%M:%SZ"),
        utc(ts3_ms, "%Y-%m-%dT%H:%M:%S%.3fZ"),
    );

    let rows = queue(&db).await;
    let got: Vec<(String, String, Value, Value)> = rows
        .iter()
        .map(|(op, id, p)| {
            let v = parse(p);
            (op.clone(), id.clone(), v["ts"].clone(), v["ts3"].clone())
        })
        .collect();
    let want = |op: &str, id: &str, ts: &str, ts3: &str| {
        (op.to_string(), id.to_string(), json!(ts), json!(ts3))
    };
    assert_eq!(
        got,
        vec![
            want(
                "insert",
                "1",
                "2026-11-01T05:30:00Z",
                "2026-11-01T05:30:00.250Z"
            ),
            want(
                "insert",
                "2",
                "2026-11-01T06:30:00Z",
                "2026-11-01T06:30:00.750Z"
            ),
            want(
                "update",
                "1",
                "2026-11-01T05:30:00Z",
                "2026-11-01T05:30:00.250Z"
            ),
            want(
                "update",
                "2",
                "2026-11-01T06:30:00Z",
                "2026-11-01T06:30:00.750Z"
            ),
            want("insert", "3", &row3.0, &row3.1),
        ]
    );

    // Backfill, in our own session, says the same of each row's current state.
    backfill::run(
        &db.pool,
        &db.name,
        "fold",
        &BackfillConfig::default(),
        &CancellationToken::new(),
        &mut |_| {},
    )
    .await
    .expect("backfill");
    let rows = queue(&db).await;
    let from_backfill: Vec<Value> = rows[5..].iter().map(|(_, _, p)| parse(p)).collect();
    let from_triggers: Vec<Value> = [2, 3, 4].iter().map(|&i| parse(&rows[i].2)).collect();
    assert_eq!(from_backfill, from_triggers);
    db.finish().await;
}
