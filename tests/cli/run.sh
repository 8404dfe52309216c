#!/usr/bin/env bash
echo "cli golden: pending"
