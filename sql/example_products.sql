-- bench: the integration guide's `products` table plus an auto-updated updated_at: used
-- by the tests, `bench` (bench::scratch, bench::poll, bench::binlog: as `products` and
-- its uncaptured twin `products_plain`) and scripts/demo.sh.
-- Parameters: none
-- Placeholders: {table} the (backtick-quoted) table name.
CREATE TABLE {table} (
    id INT AUTO_INCREMENT PRIMARY KEY,
    sku VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    category VARCHAR(100) NULL,
    price DECIMAL(10,2) NULL,
    batch_number VARCHAR(64) NULL,
    manufactured_at DATETIME NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB
