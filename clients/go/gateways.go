// SPDX-License-Identifier: MIT

package sockgate

// LiveGateways lists the gateways registered in etcd, for the service
// that issues tokens: it hands out addresses of live gateways only.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// DefaultEtcdPrefix is where sockgate --etcd registers.
const DefaultEtcdPrefix = "/sockgate/gateways/"

// Gateway is one gateway's registration: its value in etcd.
type Gateway struct {
	Addr     string `json:"addr"`
	Pid      int    `json:"pid"`
	Host     string `json:"host"`
	Version  string `json:"version"`
	Mode     string `json:"mode"`
	Sessions int64  `json:"sessions"`
	Started  int64  `json:"started"`
}

type rangeAnswer struct {
	Kvs []struct {
		Value string `json:"value"`
	} `json:"kvs"`
}

// LiveGateways reads the gateways under prefix ("" for the default) from
// etcd's v3 JSON gateway at the first of urls that answers, fewest
// sessions first. The standard library only: no etcd client module.
func LiveGateways(ctx context.Context, urls []string, prefix string) ([]Gateway, error) {
	if prefix == "" {
		prefix = DefaultEtcdPrefix
	}
	end := []byte(prefix)
	end[len(end)-1]++ // every key under prefix
	body, _ := json.Marshal(map[string]string{
		"key":       base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString(end),
	})
	var answer rangeAnswer
	var err error
	for _, u := range urls {
		if err = rangeAt(ctx, strings.TrimRight(u, "/"), body, &answer); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("no etcd endpoint answered: %w", err)
	}
	seen := map[string]Gateway{}
	for _, kv := range answer.Kvs {
		raw, e := base64.StdEncoding.DecodeString(kv.Value)
		var g Gateway
		if e != nil || json.Unmarshal(raw, &g) != nil || g.Addr == "" {
			continue // not a gateway's value
		}
		// a restart with --reuse registers twice for a moment
		if old, ok := seen[g.Addr]; !ok || g.Started > old.Started {
			seen[g.Addr] = g
		}
	}
	out := make([]Gateway, 0, len(seen))
	for _, g := range seen {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sessions != out[j].Sessions {
			return out[i].Sessions < out[j].Sessions
		}
		return out[i].Addr < out[j].Addr
	})
	return out, nil
}

func rangeAt(ctx context.Context, url string, body []byte, answer *rangeAnswer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v3/kv/range", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(answer)
}
