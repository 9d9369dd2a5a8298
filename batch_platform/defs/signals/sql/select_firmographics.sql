-- Latest row per domain across all firmographics files: files are read newest first.
-- Needs the temp table firmographics_stage(domain, company_name, industry, employee_count,
-- country, source_file, source_line, file_rank) where file_rank 1 is the newest file.
SELECT domain, company_name, industry, employee_count, country, source_file, source_line
FROM (
    SELECT
        regexp_replace(lower(trim(domain)), '^www\.', '') AS domain,
        nullif(trim(company_name), '') AS company_name,
        nullif(trim(industry), '') AS industry,
        try_cast(replace(trim(employee_count), ',', '') AS BIGINT) AS employee_count,
        nullif(upper(trim(country)), '') AS country,
        source_file,
        source_line,
        row_number() OVER (
            PARTITION BY regexp_replace(lower(trim(domain)), '^www\.', '')
            ORDER BY file_rank, source_line DESC
        ) AS pick
    FROM firmographics_stage
    WHERE nullif(trim(domain), '') IS NOT NULL
)
WHERE pick = 1
ORDER BY domain
