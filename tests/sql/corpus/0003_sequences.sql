CREATE SEQUENCE invoice_number_seq AS bigint START WITH 1000 INCREMENT BY 1 NO CYCLE;
ALTER SEQUENCE invoice_number_seq RESTART WITH 5000;
ALTER SEQUENCE invoice_number_seq OWNED BY NONE;
CREATE TABLE invoices (
    id     bigint PRIMARY KEY DEFAULT nextval('invoice_number_seq'),
    amount numeric(12, 2) NOT NULL CHECK (amount >= 0)
);
ALTER SEQUENCE invoice_number_seq OWNED BY invoices.id;
SELECT setval('invoice_number_seq', 6000, false);
