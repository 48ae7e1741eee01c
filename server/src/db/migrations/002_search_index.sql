-- Search indexes: one row per searchable value of each resource's current version, written in the resource's transaction.
--
-- Every table is keyed by (resource_type, resource_id, param) where `param` is the SearchParameter code.
-- `grp` ties together values that come from the same element, for composite parameters: values of parameters under
-- a composite's element base are numbered by element (Observation.component[0].code → 1, [1] → 2, ...); values read
-- from the resource itself have grp 0.
-- Value columns use the "C" collation: byte-order comparisons are fastest, and LIKE prefixes can use a btree whatever
-- the database locale. resource_type/resource_id keep the default collation so joins with `resource` can use its key.
-- Each table has a lookup index (find resources by value) and a per-resource index (EXISTS probes, sorting, deletes).
--
-- `compartment` (token and date rows) is a 64-bit hash of the id of the Patient the resource belongs to (through its
-- type's single-valued patient reference, e.g. Observation.subject), or NULL. Patient-scoped searches
-- (subject=Patient/X&code=...&date=ge...) then read one contiguous index range per condition instead of probing every
-- one of the patient's resources. It only narrows candidates: the patient filter itself is still applied.

CREATE TABLE search_token (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  grp smallint NOT NULL DEFAULT 0,
  compartment bigint,
  system text COLLATE "C",
  value text COLLATE "C",
  -- Normalised display/text (Coding.display, CodeableConcept.text, Identifier.type.text) for :text.
  text text COLLATE "C"
);
CREATE INDEX search_token_lookup_idx ON search_token (resource_type, param, value, compartment, system, resource_id);
CREATE INDEX search_token_resource_idx ON search_token (resource_type, resource_id, param);

CREATE TABLE search_string (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  grp smallint NOT NULL DEFAULT 0,
  -- Lower-cased, accent-stripped, truncated value (default and :contains searches).
  norm text COLLATE "C" NOT NULL,
  -- The original value when it differs from norm (for :exact); NULL means the original equals norm.
  exact text
);
CREATE INDEX search_string_lookup_idx ON search_string (resource_type, param, norm);
CREATE INDEX search_string_resource_idx ON search_string (resource_type, resource_id, param);

CREATE TABLE search_reference (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  grp smallint NOT NULL DEFAULT 0,
  -- "Type/id" for local references (history suffix removed), otherwise the absolute URL, canonical or "#contained" id.
  ref text COLLATE "C" NOT NULL
);
CREATE INDEX search_reference_lookup_idx ON search_reference (resource_type, param, ref, resource_id);
CREATE INDEX search_reference_resource_idx ON search_reference (resource_type, resource_id, param) INCLUDE (ref);

-- Dates, dateTimes, instants and Periods as the inclusive range [low, high] they denote (±infinity when open).
CREATE TABLE search_date (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  grp smallint NOT NULL DEFAULT 0,
  compartment bigint,
  low timestamptz NOT NULL,
  high timestamptz NOT NULL
);
CREATE INDEX search_date_resource_idx ON search_date (resource_type, resource_id, param) INCLUDE (low, high);
-- Patient-scoped date ranges (compartment = X AND high >= ...), and dates as the only filter.
CREATE INDEX search_date_compartment_idx ON search_date (resource_type, param, compartment, high) INCLUDE (low, resource_id);
CREATE INDEX search_date_high_idx ON search_date (resource_type, param, high);

-- Numbers (low = high) and Ranges.
CREATE TABLE search_number (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  grp smallint NOT NULL DEFAULT 0,
  low numeric NOT NULL,
  high numeric NOT NULL
);
CREATE INDEX search_number_lookup_idx ON search_number (resource_type, param, low);
CREATE INDEX search_number_resource_idx ON search_number (resource_type, resource_id, param);

-- Quantities (low = high = value) and Ranges, with their unit system and code; `unit` only when it differs from unit_code.
CREATE TABLE search_quantity (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  grp smallint NOT NULL DEFAULT 0,
  low numeric NOT NULL,
  high numeric NOT NULL,
  system text COLLATE "C",
  unit_code text COLLATE "C",
  unit text COLLATE "C"
);
CREATE INDEX search_quantity_lookup_idx ON search_quantity (resource_type, param, low);
CREATE INDEX search_quantity_resource_idx ON search_quantity (resource_type, resource_id, param);

CREATE TABLE search_uri (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  param text COLLATE "C" NOT NULL,
  value text COLLATE "C" NOT NULL
);
CREATE INDEX search_uri_lookup_idx ON search_uri (resource_type, param, value, resource_id);
CREATE INDEX search_uri_resource_idx ON search_uri (resource_type, resource_id, param);
