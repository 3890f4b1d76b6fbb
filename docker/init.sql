-- Initial data of the docker-compose demo: the integration guide's `products` table
-- (plus an auto-updated `updated_at`), and some rows written before capture starts.
-- Run once by the mysql image on an empty data volume.
-- (Rows inserted here predate the triggers, so they are not queued; the `changes`
-- service below makes the changes that are.)
USE shop;

CREATE TABLE products (
    id INT AUTO_INCREMENT PRIMARY KEY,
    sku VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    category VARCHAR(100) NULL,
    price DECIMAL(10,2) NULL,
    batch_number VARCHAR(64) NULL,
    manufactured_at DATETIME NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB;

INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES
  ('SKU-1001', 'Organic Coffee Beans 1kg', 'grocery', 18.50, 'B-2401', '2026-01-02 08:00:00'),
  ('SKU-1002', 'Stainless Steel Kettle', 'kitchen', 39.90, 'B-2402', '2026-01-03 09:30:00'),
  ('SKU-1003', 'Cotton T-Shirt M', 'apparel', 12.00, 'B-2403', '2026-01-04 10:15:00'),
  ('SKU-1004', 'LED Desk Lamp', 'office', 24.99, 'B-2404', '2026-01-05 11:45:00'),
  ('SKU-1005', 'Yoga Mat', 'sports', 21.00, 'B-2405', '2026-01-06 12:00:00');
