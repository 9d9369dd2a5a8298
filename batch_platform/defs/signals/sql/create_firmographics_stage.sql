-- Every row of every firmographics file, as text; file_rank 1 is the newest file.
CREATE OR REPLACE TEMP TABLE firmographics_stage (
    domain VARCHAR,
    company_name VARCHAR,
    industry VARCHAR,
    employee_count VARCHAR,
    country VARCHAR,
    source_file VARCHAR,
    source_line BIGINT,
    file_rank INTEGER
)
