//! A real public schema: the tables of MySQL's Sakila sample database that broke capture
//! before (written here in Sakila's shape: its column types, keys, foreign keys with
//! ON UPDATE CASCADE / ON DELETE SET NULL, a GEOMETRY column with a SPATIAL index, a
//! BLOB picture, a binary-collated password, ENUM/SET/YEAR, and Sakila's own triggers on
//! `film` and `customer`). Captured with `migrate`, written to by the application from
//! its own session, delivered by `work` to the emulator: every application statement
//! succeeds, the application's own triggers keep working, and every change arrives.
mod common;

use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::ops::backfill::{self, BackfillConfig};
use common::{api_config, wait_until, worker_config, RunningWorker, TestDb};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SCHEMA: &[&str] = &[
    "CREATE TABLE country (
       country_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
       country VARCHAR(50) NOT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (country_id)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE city (
       city_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
       city VARCHAR(50) NOT NULL,
       country_id SMALLINT UNSIGNED NOT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (city_id),
       KEY idx_fk_country_id (country_id),
       CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (country_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE address (
       address_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
       address VARCHAR(50) NOT NULL,
       address2 VARCHAR(50) DEFAULT NULL,
       district VARCHAR(20) NOT NULL,
       city_id SMALLINT UNSIGNED NOT NULL,
       postal_code VARCHAR(10) DEFAULT NULL,
       phone VARCHAR(20) NOT NULL,
       location GEOMETRY NOT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (address_id),
       KEY idx_fk_city_id (city_id),
       SPATIAL KEY idx_location (location),
       CONSTRAINT fk_address_city FOREIGN KEY (city_id) REFERENCES city (city_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE language (
       language_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT,
       name CHAR(20) NOT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (language_id)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE film (
       film_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
       title VARCHAR(128) NOT NULL,
       description TEXT DEFAULT NULL,
       release_year YEAR DEFAULT NULL,
       language_id TINYINT UNSIGNED NOT NULL,
       rental_rate DECIMAL(4,2) NOT NULL DEFAULT 4.99,
       length SMALLINT UNSIGNED DEFAULT NULL,
       rating ENUM('G','PG','PG-13','R','NC-17') DEFAULT 'G',
       special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes') DEFAULT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (film_id),
       KEY idx_title (title),
       CONSTRAINT fk_film_language FOREIGN KEY (language_id) REFERENCES language (language_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE film_text (
       film_id SMALLINT NOT NULL,
       title VARCHAR(255) NOT NULL,
       description TEXT,
       PRIMARY KEY (film_id),
       FULLTEXT KEY idx_title_description (title, description)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW BEGIN
       INSERT INTO film_text (film_id, title, description)
         VALUES (new.film_id, new.title, new.description);
     END",
    "CREATE TRIGGER upd_film AFTER UPDATE ON film FOR EACH ROW BEGIN
       IF (old.title != new.title) OR (old.description != new.description) OR (old.film_id != new.film_id)
       THEN
         UPDATE film_text SET title = new.title, description = new.description, film_id = new.film_id
           WHERE film_id = old.film_id;
       END IF;
     END",
    "CREATE TRIGGER del_film AFTER DELETE ON film FOR EACH ROW BEGIN
       DELETE FROM film_text WHERE film_id = old.film_id;
     END",
    "CREATE TABLE staff (
       staff_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT,
       first_name VARCHAR(45) NOT NULL,
       last_name VARCHAR(45) NOT NULL,
       address_id SMALLINT UNSIGNED NOT NULL,
       picture BLOB DEFAULT NULL,
       email VARCHAR(50) DEFAULT NULL,
       active BOOLEAN NOT NULL DEFAULT TRUE,
       username VARCHAR(16) NOT NULL,
       password VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (staff_id),
       CONSTRAINT fk_staff_address FOREIGN KEY (address_id) REFERENCES address (address_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE customer (
       customer_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
       first_name VARCHAR(45) NOT NULL,
       last_name VARCHAR(45) NOT NULL,
       email VARCHAR(50) DEFAULT NULL,
       address_id SMALLINT UNSIGNED NOT NULL,
       active BOOLEAN NOT NULL DEFAULT TRUE,
       create_date DATETIME NOT NULL,
       last_update TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (customer_id),
       CONSTRAINT fk_customer_address FOREIGN KEY (address_id) REFERENCES address (address_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TRIGGER customer_create_date BEFORE INSERT ON customer
       FOR EACH ROW SET NEW.create_date = NOW()",
    "CREATE TABLE rental (
       rental_id INT NOT NULL AUTO_INCREMENT,
       rental_date DATETIME NOT NULL,
       customer_id SMALLINT UNSIGNED NOT NULL,
       return_date DATETIME DEFAULT NULL,
       staff_id TINYINT UNSIGNED NOT NULL,
       last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (rental_id),
       UNIQUE KEY (rental_date, customer_id),
       CONSTRAINT fk_rental_staff FOREIGN KEY (staff_id) REFERENCES staff (staff_id)
         ON DELETE RESTRICT ON UPDATE CASCADE,
       CONSTRAINT fk_rental_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE payment (
       payment_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
       customer_id SMALLINT UNSIGNED NOT NULL,
       staff_id TINYINT UNSIGNED NOT NULL,
       rental_id INT DEFAULT NULL,
       amount DECIMAL(5,2) NOT NULL,
       payment_date DATETIME NOT NULL,
       last_update TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (payment_id),
       CONSTRAINT fk_payment_rental FOREIGN KEY (rental_id) REFERENCES rental (rental_id)
         ON DELETE SET NULL ON UPDATE CASCADE,
       CONSTRAINT fk_payment_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id)
         ON DELETE RESTRICT ON UPDATE CASCADE,
       CONSTRAINT fk_payment_staff FOREIGN KEY (staff_id) REFERENCES staff (staff_id)
         ON DELETE RESTRICT ON UPDATE CASCADE
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
];

const TABLES: &[&str] = &[
    "country",
    "city",
    "address",
    "language",
    "film",
    "film_text",
    "staff",
    "customer",
    "rental",
    "payment",
];

/// The rows that exist before capture starts (delivered by backfill).
const SEED: &[&str] = &[
    "INSERT INTO country (country_id, country) VALUES (1, 'Afghanistan'), (2, 'Algeria')",
    "INSERT INTO city (city_id, city, country_id) VALUES (1, 'Kabul', 1), (2, 'Batna', 2)",
    "INSERT INTO address (address_id, address, district, city_id, phone, location) VALUES \
       (1, '47 MySakila Drive', 'Alberta', 1, '', ST_GeomFromText('POINT(-112.8185647 49.6999986)'))",
    "INSERT INTO language (language_id, name) VALUES (1, 'English')",
    "INSERT INTO film (film_id, title, description, release_year, language_id, rating, special_features) \
       VALUES (1, 'ACADEMY DINOSAUR', 'An Epic Drama', 2006, 1, 'PG', 'Deleted Scenes,Behind the Scenes')",
    "INSERT INTO staff (staff_id, first_name, last_name, address_id, username, password) \
       VALUES (1, 'Mike', 'Hillyer', 1, 'Mike', '8cb2237d0679ca88db6464eac60da96345513964')",
    "INSERT INTO customer (customer_id, first_name, last_name, address_id) VALUES (1, 'MARY', 'SMITH', 1)",
    "INSERT INTO rental (rental_id, rental_date, customer_id, staff_id) VALUES (1, '2005-05-24 22:53:30', 1, 1)",
    "INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) \
       VALUES (1, 1, 1, 1, 2.99, '2005-05-25 11:30:37')",
];

/// A PNG header and bytes that are not UTF-8 (Sakila's staff.picture is a PNG).
const PICTURE: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE, 0x80,
];

#[tokio::test]
async fn a_sakila_shaped_schema_is_captured_and_every_application_write_succeeds_and_arrives() {
    let db = TestDb::new().await;
    for sql in SCHEMA.iter().chain(SEED) {
        db.exec(sql).await;
    }

    // migrate captures every table, keeps the application's own triggers, and warns of
    // the cascading foreign keys.
    let report = migrate::run(
        &db.pool,
        &MigratePlan {
            tables: TABLES.iter().map(|t| t.to_string()).collect(),
            ..MigratePlan::default()
        },
    )
    .await
    .expect("migrate captures the Sakila tables");
    let summary = migrate::summary(&report);
    for fk in [
        "`city`: foreign key `fk_city_country` (ON UPDATE CASCADE from `country`)",
        "`payment`: foreign key `fk_payment_rental` (ON UPDATE CASCADE, ON DELETE SET NULL from `rental`)",
    ] {
        assert!(summary.contains(&format!("warning: {fk}")), "{fk} in:\n{summary}");
    }
    let own_triggers = db
        .scalar(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() \
             AND TRIGGER_NAME IN ('ins_film', 'upd_film', 'del_film', 'customer_create_date')",
        )
        .await;
    assert_eq!(own_triggers, 4, "the application's triggers are kept");

    // The rows that were there before: backfill.
    for table in TABLES {
        backfill::run(
            &db.pool,
            &db.name,
            table,
            &BackfillConfig::default(),
            &CancellationToken::new(),
            &mut |_| {},
        )
        .await
        .unwrap_or_else(|e| panic!("backfill of {table}: {e}"));
    }

    // The application, from its own strict session in another time zone.
    let mut app = db.pool.acquire().await.unwrap();
    sqlx::raw_sql(
        "SET time_zone = '+05:00', \
         sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO'",
    )
    .execute(&mut *app)
    .await
    .unwrap();
    let statements: Vec<(String, Option<Vec<u8>>)> = vec![
        ("INSERT INTO address (address_id, address, district, city_id, phone, location) VALUES \
          (2, '28 MySQL Boulevard', 'QLD', 2, '', ST_GeomFromText('POINT(153.1408538 -27.6333361)'))".into(), None),
        ("UPDATE address SET location = ST_GeomFromText('POINT(1 2)'), postal_code = '35200' WHERE address_id = 1".into(), None),
        ("UPDATE staff SET picture = ? WHERE staff_id = 1".into(), Some(PICTURE.to_vec())),
        ("INSERT INTO staff (staff_id, first_name, last_name, address_id, picture, username) \
          VALUES (2, 'Jon', 'Stephens', 2, ?, 'Jon')".into(), Some(PICTURE.to_vec())),
        ("INSERT INTO film (film_id, title, description, release_year, language_id, rating, special_features) \
          VALUES (2, 'ACE GOLDFINGER', 'A Astounding Epistle', 2006, 1, 'G', 'Trailers')".into(), None),
        ("UPDATE film SET title = 'ACE GOLDFINGER II', rental_rate = 0.99 WHERE film_id = 2".into(), None),
        ("DELETE FROM film WHERE film_id = 1".into(), None),
        ("INSERT INTO customer (customer_id, first_name, last_name, address_id) VALUES (2, 'PATRICIA', 'JOHNSON', 2)".into(), None),
        ("INSERT INTO rental (rental_id, rental_date, customer_id, staff_id) VALUES (2, '2005-05-24 23:03:39', 2, 2)".into(), None),
        ("INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) \
          VALUES (2, 2, 2, 2, 0.99, '2005-05-28 10:35:23')".into(), None),
        // A primary-key change the cascade follows into city (uncaptured, warned).
        ("UPDATE country SET country_id = 1000 WHERE country_id = 1".into(), None),
        // The cascade sets payment 1's rental_id to NULL (uncaptured, warned).
        ("DELETE FROM rental WHERE rental_id = 1".into(), None),
    ];
    for (sql, blob) in &statements {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        let q = match blob {
            Some(b) => q.bind(b.clone()),
            None => q,
        };
        q.execute(&mut *app)
            .await
            .unwrap_or_else(|e| panic!("the application's statement failed: {e}\n{sql}"));
    }
    drop(app);

    // The application's own triggers still did their work.
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM film_text WHERE film_id = 2 AND title = 'ACE GOLDFINGER II'"
        )
        .await,
        1
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM customer WHERE create_date IS NOT NULL")
            .await,
        2
    );

    // work delivers everything; nothing is a dead letter.
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(4),
    );
    wait_until(Duration::from_secs(30), "queue drained", || async {
        db.pending().await == 0
    })
    .await;
    assert!(w.stop().await);
    assert_eq!(db.dead().await, 0, "no change became a dead letter");
    let seen = emu.inspect();
    assert_eq!(seen.keys_received(), db.queue_keys().await);

    let latest = |table: &str, id: &str| {
        seen.record(table, id)
            .unwrap_or_else(|| panic!("{table} {id} arrived"))
            .latest()
            .unwrap()
            .clone()
    };
    assert_eq!(
        latest("address", "1").payload["location"],
        json!("POINT(1 2)")
    );
    assert_eq!(
        latest("address", "2").payload["location"],
        json!("POINT(153.1408538 -27.6333361)")
    );
    for staff in ["1", "2"] {
        assert_eq!(
            latest("staff", staff).payload["picture"],
            json!("iVBORw0KGgoA//6A"),
            "staff {staff}: the PNG bytes in base64"
        );
    }
    assert_eq!(
        latest("staff", "1").payload["password"],
        json!("8cb2237d0679ca88db6464eac60da96345513964")
    );
    let film = latest("film", "2").payload;
    assert_eq!(
        (
            &film["title"],
            &film["rental_rate"],
            &film["release_year"],
            &film["special_features"]
        ),
        (
            &json!("ACE GOLDFINGER II"),
            &json!(0.99),
            &json!(2006),
            &json!("Trailers")
        )
    );
    assert_eq!(latest("film", "1").operation_type, "delete");
    assert_eq!(latest("film_text", "1").operation_type, "delete");
    assert_eq!(
        latest("film_text", "2").payload["title"],
        json!("ACE GOLDFINGER II")
    );
    // The primary-key change ends record 1's history and starts record 1000's.
    assert_eq!(latest("country", "1").operation_type, "delete");
    assert_eq!(latest("country", "1000").operation_type, "insert");
    assert_eq!(
        latest("country", "1000").payload["country"],
        json!("Afghanistan")
    );
    assert_eq!(latest("rental", "1").operation_type, "delete");

    // Write-back reached every surviving captured row.
    for table in TABLES {
        let unmarked = db
            .scalar(&format!(
                "SELECT COUNT(*) FROM `{table}` WHERE certyo_anchor_status IS NULL"
            ))
            .await;
        // Rows changed only by a cascade were never queued again: city 1 and payment 1
        // still carry the status of their backfilled version.
        assert_eq!(unmarked, 0, "{table}: every row written back");
    }
    db.finish().await;
}
