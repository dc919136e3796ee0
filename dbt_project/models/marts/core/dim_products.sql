with

products as (

    select * from {{ ref('int_products_mapped') }}

)

select
    product_code,
    any_value(product_type) as product_type,
    any_value(client_segment) as client_segment,
    bool_or(is_credit) as is_credit,
    {{ string_agg_distinct('product_name', ' | ') }} as product_names,
    {{ string_agg_distinct('contract_type', ' | ') }} as contract_types
from products
group by product_code
