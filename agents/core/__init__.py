"""The runtime shared by the Fleet Agent and the Local Agent: configuration and credentials on disk, the REST
client, activation, the MQTT/REST transport with its durable outbox, the command dispatcher, the local web
page and the main loop. Imports nothing from the server; SNMP work is behind an injected collector."""
