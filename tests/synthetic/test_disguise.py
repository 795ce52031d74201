from datetime import date

import pandas as pd

from synthetic.disguise import disguise_extracts
from synthetic.generate import generate_extracts


def test_disguised_extracts_carry_the_attributes_under_other_names(tmp_path):
    generate_extracts(tmp_path, date(2026, 3, 2), 1, 200, seed=3)
    before = pd.read_csv(tmp_path / "2026-03-02" / "leads.csv", dtype=str, keep_default_na=False)
    assert disguise_extracts(tmp_path, seed=3) == 1
    after = pd.read_csv(tmp_path / "2026-03-02" / "leads.csv", dtype=str, keep_default_na=False)
    assert (after[["industry", "employee_count", "annual_revenue", "job_title"]] == "").all().all()
    assert "crm_score" not in after and "product_interest" not in after
    # the same information, recoded: one code per industry, whatever its case
    codes = after["vertical"].str.lower().where(after["vertical"] != "Select")
    pairs = pd.DataFrame({"industry": before["industry"], "code": codes}).dropna().drop_duplicates()
    assert pairs["industry"].is_unique and pairs["code"].str.startswith("vert-").all()
    assert (after["vertical"] == "Select").any() and (after["vertical"] != after["vertical"].str.lower()).any()
    kept = after["staff"] != "N/A"
    assert (after.loc[kept, "staff"] == before.loc[kept, "employee_count"]).all()
    assert after["position"].str.lower().equals(before["job_title"].str.lower())
