"""KEDA's ScaledObjects, which kubernetes-validate has no schema for, checked here."""

from urllib.parse import urlsplit

from app.config.celery import DEFAULT_QUEUE as CELERY_QUEUE
from app.config.settings import load_settings
from tests.deploy.conftest import (
    SECRET,
    SETTINGS_VARIABLES,
    Manifest,
    generator,
    main_container,
    of_kind,
    rendered,
    settings_data,
)

# The trigger types the kit uses and the metadata keys KEDA documents for them (required,
# optional); the authentication parameters each takes from a TriggerAuthentication.
TRIGGER_KEYS = {
    "rabbitmq": (
        {"queueName", "mode", "value"},
        {"protocol", "activationValue", "vhostName", "hostFromEnv", "unsafeSsl", "timeout"},
    ),
    "kafka": (
        {"lagThreshold"},
        {
            "bootstrapServers",
            "bootstrapServersFromEnv",
            "consumerGroup",
            "consumerGroupFromEnv",
            "topic",
            "topicFromEnv",
            "activationLagThreshold",
            "offsetResetPolicy",
            "allowIdleConsumers",
            "limitToPartitionsWithLag",
            "excludePersistentLag",
            "scaleToZeroOnInvalidOffset",
            "version",
        },
    ),
    "redis": (
        {"listName", "listLength"},
        {"address", "addressFromEnv", "databaseIndex", "activationListLength", "enableTLS"},
    ),
}
AUTH_PARAMETERS = {
    "rabbitmq": {"host", "username", "password"},
    "kafka": {"sasl", "username", "password", "tls", "ca", "cert", "key"},
    "redis": {"username", "password"},
}
PARTITIONS_ANNOTATION = "app/kafka-topic-partitions"
GEN = generator()


def _scaled(overlay: str) -> dict[str, Manifest]:
    return of_kind(rendered(overlay), "ScaledObject")


def _trigger(scaled: Manifest) -> Manifest:
    (trigger,) = scaled["spec"]["triggers"]
    return trigger


def test_every_trigger_is_a_known_type_with_the_metadata_keys_keda_documents(prod_overlay):
    for name, scaled in _scaled(prod_overlay).items():
        for trigger in scaled["spec"]["triggers"]:
            required, optional = TRIGGER_KEYS[trigger["type"]]
            keys = set(trigger["metadata"])
            assert required <= keys <= required | optional, (name, keys)
            # KEDA's metadata is a map of strings: a bare number or boolean fails its schema.
            assert all(isinstance(v, str) for v in trigger["metadata"].values()), name


def test_every_scale_target_is_a_deployment_of_the_same_overlay(prod_overlay):
    deployments = of_kind(rendered(prod_overlay), "Deployment")
    for name, scaled in _scaled(prod_overlay).items():
        target = scaled["spec"]["scaleTargetRef"]
        assert target.get("kind", "Deployment") == "Deployment", name
        assert target.get("apiVersion", "apps/v1") == "apps/v1", name
        assert target["name"] in deployments, name


def test_replica_bounds_never_reach_zero_and_allow_growth(prod_overlay):
    for name, scaled in _scaled(prod_overlay).items():
        spec = scaled["spec"]
        # At zero the consumer would relay no outbox row, so nothing would ever be queued.
        assert 1 <= spec["minReplicaCount"] < spec["maxReplicaCount"], name


def test_every_authentication_ref_names_a_trigger_authentication_of_the_overlay(prod_overlay):
    authentications = of_kind(rendered(prod_overlay), "TriggerAuthentication")
    secret_keys = set(GEN.secret_names(GEN.example_values()))
    for name, scaled in _scaled(prod_overlay).items():
        for trigger in scaled["spec"]["triggers"]:
            if "authenticationRef" not in trigger:
                continue
            auth = authentications[trigger["authenticationRef"]["name"]]
            for ref in auth["spec"]["secretTargetRef"]:
                assert ref["parameter"] in AUTH_PARAMETERS[trigger["type"]], name
                assert ref["name"] != SECRET or ref["key"] in secret_keys, (name, ref)


def test_the_consumer_scales_on_the_broker_it_consumes(prod_overlay):
    broker = settings_data(rendered(prod_overlay))["MESSAGE_BROKER"]
    assert _trigger(_scaled(prod_overlay)["app-consumer"])["type"] == broker


def test_the_rabbitmq_trigger_measures_the_consumers_queue_with_the_consumers_login():
    objects = rendered("prod")
    trigger = _trigger(_scaled("prod")["app-consumer"])
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["mode"] == "QueueLength"
    assert trigger["metadata"]["queueName"] == settings_data(objects)["DEFAULT_QUEUE"]
    auth = of_kind(objects, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    assert {"parameter": "host", "name": SECRET, "key": "MESSAGE_BROKER_URL"} in auth["spec"][
        "secretTargetRef"
    ]


def test_the_kafka_lag_trigger_never_scales_past_the_topic_partitions():
    scaled = _scaled("prod-kafka")["app-consumer"]
    trigger = _trigger(scaled)
    partitions = int(scaled["metadata"]["annotations"][PARTITIONS_ANNOTATION])
    assert trigger["type"] == "kafka"
    assert scaled["spec"]["maxReplicaCount"] == partitions
    # KEDA's own cap: no replica beyond the partitions, nor beyond those with lag.
    assert trigger["metadata"]["allowIdleConsumers"] == "false"
    assert trigger["metadata"]["limitToPartitionsWithLag"] == "true"


def test_the_partitions_annotation_is_the_count_the_service_creates_its_topics_with(monkeypatch):
    # The consumer's ceiling must be the topic's real partition count: the service creates
    # DEFAULT_TOPIC with KAFKA_TOPIC_PARTITIONS, by default and in the rendered settings.
    monkeypatch.delenv("KAFKA_TOPIC_PARTITIONS", raising=False)
    monkeypatch.setenv("LAUNCH_MODE", "TEST")  # no `.env` read
    monkeypatch.setenv("SECRET_KEY", "deploy-test-secret-key-0123456789abcdef")
    default = load_settings().kafka_topic_partitions
    annotated = _scaled("prod-kafka")["app-consumer"]["metadata"]["annotations"]
    configured = settings_data(rendered("prod-kafka"))["KAFKA_TOPIC_PARTITIONS"]
    assert int(annotated[PARTITIONS_ANNOTATION]) == default == int(configured)


def test_the_kafka_trigger_reads_the_consumers_own_settings():
    objects = rendered("prod-kafka")
    trigger = _trigger(_scaled("prod-kafka")["app-consumer"])
    consumer = main_container(of_kind(objects, "Deployment")["app-consumer"])
    read = {ref["configMapRef"]["name"] for ref in consumer["envFrom"] if "configMapRef" in ref}
    assert read == set(of_kind(objects, "ConfigMap"))
    from_env = {key: value for key, value in trigger["metadata"].items() if key.endswith("FromEnv")}
    assert from_env == {
        "bootstrapServersFromEnv": "KAFKA_BOOTSTRAP_SERVERS",
        "consumerGroupFromEnv": "CONSUMER_GROUP",
        "topicFromEnv": "DEFAULT_TOPIC",
    }
    assert set(from_env.values()) <= set(settings_data(objects)) & SETTINGS_VARIABLES
    # The consumer starts reading a new group at the earliest offset, so its lag counts from there.
    assert trigger["metadata"]["offsetResetPolicy"] == "earliest"


def test_the_redis_trigger_measures_celerys_queue_list(prod_overlay):
    objects = rendered(prod_overlay)
    trigger = _trigger(_scaled(prod_overlay)["app-worker"])
    assert trigger["type"] == "redis"
    prefix = settings_data(objects)["REDIS_KEY_PREFIX"]
    assert trigger["metadata"]["listName"] == prefix + CELERY_QUEUE
    broker_database = urlsplit(GEN.example_values()["CELERY_BROKER_URL"]).path.strip("/")
    assert trigger["metadata"]["databaseIndex"] == broker_database
