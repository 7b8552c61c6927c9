package emulator

import (
	"net"
	"strings"
)

// Azure host families. A token from issueToken is valid only in the family
// of hosts that issued it: the public cloud, Azure Government or Azure
// China (Microsoft Learn: "Azure AI services in sovereign clouds"). The
// emulator names the family of the host a request was sent to (its Host
// header), so a test can stand in for the vendor's hosts with a loopback
// dialer and see a token refused in another cloud.
const (
	AzureCloudPublic = "public" // *.microsoft.com, *.azure.com
	AzureCloudUSGov  = "usgov"  // *.microsoft.us, *.azure.us
	AzureCloudChina  = "china"  // *.azure.cn
	// AzureCloudLocal is every other host, such as 127.0.0.1: tokens issued
	// there are valid on such hosts only.
	AzureCloudLocal = "local"
)

// azureClaimCloud is the emulator's own claim recording the host family
// that issued a token.
const azureClaimCloud = "emulator-cloud"

// azureCloudSuffixes map host suffixes to their family.
var azureCloudSuffixes = []struct{ suffix, cloud string }{
	{".microsoft.com", AzureCloudPublic}, {".azure.com", AzureCloudPublic},
	{".microsoft.us", AzureCloudUSGov}, {".azure.us", AzureCloudUSGov},
	{".azure.cn", AzureCloudChina},
}

// AzureCloudOf returns the host family of host (a Host header value, with
// or without a port).
func AzureCloudOf(host string) string {
	h := azureHostname(host)
	for _, s := range azureCloudSuffixes {
		if strings.HasSuffix(h, s.suffix) {
			return s.cloud
		}
	}
	return AzureCloudLocal
}

// azureHostname lower-cases host and drops its port and any trailing dot.
func azureHostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// azureHostRegion returns the region of a regional token host
// ("westus.api.cognitive.microsoft.com" gives "westus"), or "" for any
// other host, such as a resource endpoint.
func azureHostRegion(host string) string {
	h := azureHostname(host)
	region, rest, ok := strings.Cut(h, ".")
	if !ok || !strings.HasPrefix(rest, "api.cognitive.") {
		return ""
	}
	return region
}
