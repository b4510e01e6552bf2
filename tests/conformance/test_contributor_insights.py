"""CloudWatch Contributor Insights: UpdateContributorInsights, DescribeContributorInsights and
ListContributorInsights.

The expectations are DynamoDB's answers recorded against the service in October 2026 by
ack-api-quirks (dynamodb, findings DDB-TABLE-089 to -097, -112, -116 and -337 to -344) and the
aws CLI's examples of the three operations. DynamoDB takes one to sixteen seconds to settle an
ENABLE; cruddur settles at once unless started with --delay-transient-statuses, so these tests
read the settled state straight after the change. DynamoDB Local has no contributor insights.
ContributorInsightsMode is newer than Debian's botocore, so the calls go out raw.
"""

import pytest

from ddbtest import DELAY, err, error_message, error_type, raw_call, unique_name, wait_table_active

ACK = pytest.mark.source(
    "ddb-answer: contributor insights as DynamoDB answered in 2026 (ack-api-quirks dynamodb "
    "DDB-TABLE-089..097, -112, -337..-344); DynamoDB Local does not serve these operations")

ALL_KEYS = "ACCESSED_AND_THROTTLED_KEYS"


def gsi_table(tables):
    """A hash + range table with the hash-only GSI by_g and the LSI by_n."""
    return tables.create(
        range_key=("sk", "S"), attrs={"g": "S", "n": "N"},
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by_n", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}])


class Insights:
    """The three operations, sent raw; an error answer raises Refused."""

    class Refused(Exception):
        def __init__(self, body):
            super().__init__(body)
            self.code, self.message = error_type(body), error_message(body)

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def call(self, op, **body):
        status, answer = raw_call(self.endpoint, op, body)
        if status != 200:
            raise Insights.Refused(answer)
        return answer

    def update(self, table, action, **more):
        return self.call("UpdateContributorInsights", TableName=table,
                         ContributorInsightsAction=action, **more)

    def describe(self, table, **more):
        return self.call("DescribeContributorInsights", TableName=table, **more)

    def summaries(self, **kwargs):
        """Every summary of every page, as (table, index or None, status, mode)."""
        out, token = [], None
        for _ in range(100):
            page = self.call("ListContributorInsights", **kwargs,
                             **({"NextToken": token} if token else {}))
            out += [(s["TableName"], s.get("IndexName"), s["ContributorInsightsStatus"],
                     s.get("ContributorInsightsMode")) for s in page["ContributorInsightsSummaries"]]
            token = page.get("NextToken")
            if not token:
                return out
        raise AssertionError("ListContributorInsights never stopped paging")


@pytest.fixture
def ci(endpoint):
    return Insights(endpoint)


def refusal(call):
    with pytest.raises(Insights.Refused) as e:
        call()
    return e.value.code, e.value.message


@ACK
def test_a_new_table_is_disabled_and_not_listed(ci, table_hr):
    """DDB-TABLE-089/095: {TableName, ContributorInsightsStatus: DISABLED} only; the list of that
    table is empty; DISABLE of it answers DISABLED and changes nothing."""
    assert ci.describe(table_hr) == {"TableName": table_hr, "ContributorInsightsStatus": "DISABLED"}
    assert ci.summaries(TableName=table_hr) == []
    assert ci.update(table_hr, "DISABLE") == {"TableName": table_hr,
                                              "ContributorInsightsStatus": "DISABLED"}
    assert "LastUpdateDateTime" not in ci.describe(table_hr)


@ACK
def test_enable_names_four_rules_for_a_sort_key_and_lists_the_table(ci, table_hr):
    """DDB-TABLE-090 and the CLI's example: ENABLE answers ENABLING with the default mode; the
    table then has the rules PKC, SKC, PKT, SKT named DynamoDBContributorInsights-<kind>-<table>-
    <epoch ms>, a LastUpdateDateTime, and is listed. ENABLE again is a no-op answering ENABLED
    (DDB-TABLE-091)."""
    assert ci.update(table_hr, "ENABLE") == {"TableName": table_hr,
                                             "ContributorInsightsStatus": "ENABLING",
                                             "ContributorInsightsMode": ALL_KEYS}
    d = ci.describe(table_hr)
    assert list(d) == ["TableName", "ContributorInsightsRuleList", "ContributorInsightsStatus",
                       "LastUpdateDateTime", "ContributorInsightsMode"]
    assert (d["ContributorInsightsStatus"], d["ContributorInsightsMode"]) == ("ENABLED", ALL_KEYS)
    rules = d["ContributorInsightsRuleList"]
    suffix = rules[0].rsplit("-", 1)[1]
    assert suffix.isdigit() and len(suffix) == 13
    assert rules == [f"DynamoDBContributorInsights-{k}-{table_hr}-{suffix}"
                     for k in ("PKC", "SKC", "PKT", "SKT")]
    assert abs(d["LastUpdateDateTime"] - int(suffix) / 1000) < 5
    assert ci.summaries(TableName=table_hr) == [(table_hr, None, "ENABLED", ALL_KEYS)]
    assert (table_hr, None, "ENABLED", ALL_KEYS) in ci.summaries()

    assert ci.update(table_hr, "ENABLE")["ContributorInsightsStatus"] == "ENABLED"
    assert ci.describe(table_hr)["LastUpdateDateTime"] == d["LastUpdateDateTime"]


@ACK
def test_a_mode_change_is_a_new_enable_that_keeps_the_rule_names(ci, table_h):
    """DDB-TABLE-092/341: ENABLE with THROTTLED_KEYS on an ENABLED table answers ENABLING and
    leaves the throttled-keys rule under its old name (a hash-only table has PKC and PKT); ENABLE
    without a mode goes back to ACCESSED_AND_THROTTLED_KEYS; DISABLE with a mode is accepted and
    echoes the current one, not the one sent."""
    ci.update(table_h, "ENABLE")
    rules = ci.describe(table_h)["ContributorInsightsRuleList"]
    assert [r.split("-")[1] for r in rules] == ["PKC", "PKT"]
    answer = ci.update(table_h, "ENABLE", ContributorInsightsMode="THROTTLED_KEYS")
    assert (answer["ContributorInsightsStatus"], answer["ContributorInsightsMode"]) == (
        "ENABLING", "THROTTLED_KEYS")
    assert ci.describe(table_h)["ContributorInsightsRuleList"] == [rules[1]]
    ci.update(table_h, "ENABLE")
    assert ci.describe(table_h)["ContributorInsightsMode"] == ALL_KEYS
    off = ci.update(table_h, "DISABLE", ContributorInsightsMode="THROTTLED_KEYS")
    assert (off["ContributorInsightsStatus"], off["ContributorInsightsMode"]) == (
        "DISABLING", ALL_KEYS)
    d = ci.describe(table_h)
    assert list(d) == ["TableName", "ContributorInsightsStatus", "LastUpdateDateTime",
                       "ContributorInsightsMode"]
    assert d["ContributorInsightsStatus"] == "DISABLED"
    assert ci.summaries(TableName=table_h) == []
    assert refusal(lambda: ci.update(table_h, "ENABLE", ContributorInsightsMode="ALL")) == (
        "ValidationException", "1 validation error detected: Value 'ALL' at "
        "'contributorInsightsMode' failed to satisfy constraint: Member must satisfy enum value "
        "set: [ACCESSED_AND_THROTTLED_KEYS, THROTTLED_KEYS]")


@ACK
def test_each_gsi_has_its_own_and_an_lsi_none(ci, tables):
    """DDB-TABLE-094/161: a GSI is enabled on its own (rules named <table>-<index>), listed after
    its table; an LSI, an unknown index and a missing table are ResourceNotFoundException."""
    name = gsi_table(tables)
    assert ci.update(name, "ENABLE", IndexName="by_g") == {
        "TableName": name, "IndexName": "by_g", "ContributorInsightsStatus": "ENABLING",
        "ContributorInsightsMode": ALL_KEYS}
    d = ci.describe(name, IndexName="by_g")
    assert d["IndexName"] == "by_g"
    assert [r.rsplit("-", 1)[0] for r in d["ContributorInsightsRuleList"]] == [
        f"DynamoDBContributorInsights-PKC-{name}-by_g",
        f"DynamoDBContributorInsights-PKT-{name}-by_g"]
    assert ci.describe(name)["ContributorInsightsStatus"] == "DISABLED"
    ci.update(name, "ENABLE")
    assert ci.summaries(TableName=name, MaxResults=1) == [
        (name, None, "ENABLED", ALL_KEYS), (name, "by_g", "ENABLED", ALL_KEYS)]

    for index in ("by_n", "nope"):
        for call in (lambda: ci.describe(name, IndexName=index),
                     lambda: ci.update(name, "ENABLE", IndexName=index)):
            assert refusal(call) == ("ResourceNotFoundException", "Requested resource not found: "
                                     f"Index: {index} not found for table: {name}")
    missing = unique_name()
    for call in (lambda: ci.describe(missing), lambda: ci.update(missing, "DISABLE"),
                 lambda: ci.call("ListContributorInsights", TableName=missing)):
        assert refusal(call) == ("ResourceNotFoundException",
                                 f"Requested resource not found: Table: {missing} not found")


@ACK
def test_deleting_an_index_or_a_table_leaves_no_insights_behind(ddb, ci, tables):
    """DDB-TABLE-112/342: a GSI deleted while its insights are ENABLED leaves the list; asking
    for it is ResourceNotFoundException; a GSI created again under that name starts DISABLED; a
    deleted table leaves the list."""
    name = gsi_table(tables)
    ci.update(name, "ENABLE", IndexName="by_g")
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    wait_table_active(ddb, name)
    assert ci.summaries(TableName=name) == []
    assert refusal(lambda: ci.describe(name, IndexName="by_g"))[0] == "ResourceNotFoundException"
    ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g",
                                                            "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                         "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}}])
    wait_table_active(ddb, name)
    assert ci.describe(name, IndexName="by_g")["ContributorInsightsStatus"] == "DISABLED"

    ci.update(name, "ENABLE")
    ddb.delete_table(TableName=name)
    assert all(s[0] != name for s in ci.summaries())


@ACK
def test_past_the_rule_quota_enable_fails_and_holds_no_rules(ci, tables):
    """DDB-TABLE-337..340: 100 rules per account and region; an ENABLE past them answers
    ENABLING, then reads FAILED with FailureException LimitExceededException and no rule list,
    and is listed; it stays FAILED until DISABLE (which clears the failure) or an ENABLE once
    rules are freed."""
    assert [s for s in ci.summaries() if s[2] != "FAILED"] == [], \
        "insights enabled elsewhere on this server"
    names = [tables.create(range_key=("sk", "S")) for _ in range(26)]
    for name in names[:25]:
        ci.update(name, "ENABLE")
    last = names[25]
    assert ci.update(last, "ENABLE")["ContributorInsightsStatus"] == "ENABLING"
    d = ci.describe(last)
    assert list(d) == ["TableName", "ContributorInsightsStatus", "LastUpdateDateTime",
                       "FailureException", "ContributorInsightsMode"]
    assert d["ContributorInsightsStatus"] == "FAILED"
    assert d["FailureException"] == {
        "ExceptionName": "LimitExceededException",
        "ExceptionDescription": "Amazon CloudWatch Contributor Insights rule limit reached. "
                                "Please disable Contributor Insights for other tables/indexes OR "
                                "disable other CloudWatch Contributor Insights rules before "
                                "retrying."}
    assert ci.summaries(TableName=last) == [(last, None, "FAILED", ALL_KEYS)]

    ci.update(names[0], "DISABLE")
    assert ci.describe(last)["ContributorInsightsStatus"] == "FAILED"
    ci.update(last, "ENABLE")
    d = ci.describe(last)
    assert d["ContributorInsightsStatus"] == "ENABLED" and "FailureException" not in d
    assert len(d["ContributorInsightsRuleList"]) == 4


@ACK
def test_enable_and_disable_pass_through_their_transient_states(delayed, tables):
    """DDB-TABLE-090/116/343: with transient statuses held, ENABLE reads ENABLING and DISABLE
    DISABLING (both listed) until they settle; a CREATING table refuses an ENABLE."""
    import time
    name = unique_name()
    delayed.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    try:
        with pytest.raises(Exception) as e:
            delayed.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
        assert err(e) == ("ValidationException",
                          "Table or Index is not in a valid state to update Key Access Insights: "
                          "TableStatus must be ACTIVE to enable ContributorInsights.")
        wait_table_active(delayed, name)
        delayed.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
        assert delayed.describe_contributor_insights(TableName=name)[
            "ContributorInsightsStatus"] == "ENABLING"
        assert delayed.list_contributor_insights(TableName=name)[
            "ContributorInsightsSummaries"][0]["ContributorInsightsStatus"] == "ENABLING"
        time.sleep(DELAY + 0.2)
        assert delayed.describe_contributor_insights(TableName=name)[
            "ContributorInsightsStatus"] == "ENABLED"
        delayed.update_contributor_insights(TableName=name, ContributorInsightsAction="DISABLE")
        assert delayed.list_contributor_insights(TableName=name)[
            "ContributorInsightsSummaries"][0]["ContributorInsightsStatus"] == "DISABLING"
        time.sleep(DELAY + 0.2)
        assert delayed.describe_contributor_insights(TableName=name)[
            "ContributorInsightsStatus"] == "DISABLED"
        assert delayed.list_contributor_insights(TableName=name)[
            "ContributorInsightsSummaries"] == []
    finally:
        delayed.delete_table(TableName=name)
