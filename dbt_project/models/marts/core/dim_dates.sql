-- Calendar from the earliest date in the core data (an account opening, a contract start) to the
-- end of the year of the latest planned contract end, with Russian non-working days: weekends,
-- 1–8 January and the statutory holidays of Labour Code art. 112, moved to the next working day
-- when they fall on a weekend (the January holidays excepted). This is the rule of
-- cdp/ru_calendar.py; the government's yearly decrees that swap further days are not modelled
-- there either. An integration test compares the two.
with

bounds as (

    select
        least(
            (select min(opened_date) from {{ ref('stg_abs__accounts') }}),
            (select min(start_date) from {{ ref('stg_abs__contracts') }}),
            (select min(posting_date) from {{ ref('stg_abs__transactions') }})
        ) as first_date,
        greatest(
            (select max(end_date) from {{ ref('stg_abs__contracts') }}),
            (select max(posting_date) from {{ ref('stg_abs__transactions') }})
        ) as last_date

),

days as (

    select
        {{ unnest_days(
            "cast(date_trunc('year', first_date) as date)",
            "cast(date_trunc('year', last_date) + interval 1 year - interval 1 day as date)",
        ) }} as date_day
    from bounds

),

fixed_holidays as (

    select make_date(years.year_number, holiday.month, holiday.day) as holiday_date
    from (select distinct year(date_day) as year_number from days) as years
    cross join (
        values (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)
    ) as holiday (month, day)

),

holidays as (

    -- 1–8 January, whatever the weekday
    select date_day as holiday_date
    from days
    where month(date_day) = 1 and day(date_day) <= 8
    union
    -- a fixed holiday on Saturday or Sunday moves to the following Monday
    select
        holiday_date + cast(
            case {{ iso_day_of_week('holiday_date') }} when 6 then 2 when 7 then 1 else 0 end
            as integer
        ) as holiday_date
    from fixed_holidays

)

select
    days.date_day,
    cast(year(days.date_day) as integer) as year_number,
    cast(quarter(days.date_day) as integer) as quarter_number,
    cast(month(days.date_day) as integer) as month_number,
    cast(date_trunc('month', days.date_day) as date) as month_start_date,
    cast(last_day(days.date_day) as date) as month_end_date,
    cast({{ iso_day_of_week('days.date_day') }} as integer) as iso_day_of_week,
    cast(weekofyear(days.date_day) as integer) as iso_week_number,
    {{ iso_day_of_week('days.date_day') }} >= 6 as is_weekend,
    holidays.holiday_date is not null as is_holiday,
    {{ iso_day_of_week('days.date_day') }} < 6 and holidays.holiday_date is null as is_working_day
from days
left join holidays on days.date_day = holidays.holiday_date
