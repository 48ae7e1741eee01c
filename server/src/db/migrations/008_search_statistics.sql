-- Planner statistics on the search index tables' column combinations, which are far from independent.
--
-- Every index row has a resource type and a search parameter, and the two go together: nearly all `code` rows are
-- Observations', nearly all `status = active` rows CarePlans'. Without these statistics PostgreSQL multiplies the
-- separate frequencies, estimated (Observation, code) at 816 rows where there were 15,300, and so preferred reading
-- every Observation code row to reading a few patients' ranges of the codes asked for (server/src/fhir/search/
-- README.md, "Planner statistics"). An MCV list over the combination gives the real frequencies of the common ones.
-- They are gathered by ANALYZE and autovacuum like any statistics. Only (type, param): an MCV list over the token
-- value too made common codes look like a large share of the table, and PostgreSQL 18 then read the whole of
-- search_token for a clinician's population query (Observation?code=…&_count=20) instead of the code's index range.
CREATE STATISTICS search_token_type_param (mcv) ON resource_type, param FROM search_token;
CREATE STATISTICS search_string_type_param (mcv) ON resource_type, param FROM search_string;
CREATE STATISTICS search_reference_type_param (mcv) ON resource_type, param FROM search_reference;
CREATE STATISTICS search_date_type_param (mcv) ON resource_type, param FROM search_date;
CREATE STATISTICS search_number_type_param (mcv) ON resource_type, param FROM search_number;
CREATE STATISTICS search_quantity_type_param (mcv) ON resource_type, param FROM search_quantity;
CREATE STATISTICS search_uri_type_param (mcv) ON resource_type, param FROM search_uri;
